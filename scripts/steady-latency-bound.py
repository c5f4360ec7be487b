#!/usr/bin/env python3
"""The best detection latency any scheduler can reach on the `steady` benchmark workload.

Workload (issue 4): tasks arrive at 4/s; each finishes 2 s + lognormal(median 6 s, sigma 0.6) after creation.
Budget: 20 requests/s for the merchant, of which 4/s go to the first poll of each new task, leaving 16/s for
re-polls. Constraint: a row is polled at most once a second (polling.minimum_interval_seconds, default 1).

A row polled every 1/lam seconds at age a detects a completion at age a after a delay uniform on [0, 1/lam].
Minimising the mean delay, sum f(a)/(2 lam(a)), under the budget 4 * sum S(a) lam(a) = 16 and lam <= 1 gives
lam(a) = min(1, sqrt(f(a) / (2 mu S(a)))) = min(1, c * sqrt(hazard(a))): the square-root-of-hazard rule the budget
scheduler learns. The script finds mu by bisection and prints the delay distribution of that optimum, assuming
the completion-age distribution is known exactly (the scheduler has to learn it) and zero network time.

Run: python3 scripts/steady-latency-bound.py
"""
import math

ARRIVALS, BUDGET, FIRST_POLLS, MAX_RATE = 4.0, 20.0, 4.0, 1.0
STEP = 0.01


def density_and_survival(age):
    x = age - 2.0
    if x <= 0:
        return 0.0, 1.0
    z = math.log(x / 6.0) / 0.6
    density = math.exp(-z * z / 2) / (math.sqrt(2 * math.pi) * 0.6 * x)
    survival = 0.5 * math.erfc(z / math.sqrt(2))
    return density, survival


ages = [i * STEP for i in range(int(150 / STEP))]
table = [density_and_survival(a) for a in ages]


def rates(mu):
    return [min(MAX_RATE, math.sqrt(f / (2 * mu * max(s, 1e-12)))) if f > 0 else 0.0 for f, s in table]


def spent(lams):
    return ARRIVALS * sum(s * lam for (_, s), lam in zip(table, lams)) * STEP


low, high = 1e-9, 1e3
for _ in range(200):
    mu = math.sqrt(low * high)
    if spent(rates(mu)) > BUDGET - FIRST_POLLS:
        low = mu
    else:
        high = mu
lams = rates(high)

# Delay distribution: mixture over completion ages of uniform [0, 1/lam(a)].
samples = []
for (f, _), lam in zip(table[::5], lams[::5]):
    if f <= 0 or lam <= 0:
        continue
    period = 1 / lam
    for k in range(20):
        samples.append(((k + 0.5) / 20 * period, f))
samples.sort()
total = sum(w for _, w in samples)


def percentile(p):
    acc = 0.0
    for delay, weight in samples:
        acc += weight
        if acc >= p * total:
            return delay
    return samples[-1][0]


pending = ARRIVALS * sum(s for _, s in table) * STEP
print(f"re-poll budget used: {spent(lams):.2f}/s of {BUDGET - FIRST_POLLS:.0f}/s; rows pending on average: {pending:.1f}")
print(f"best possible detection delay: p50 {percentile(0.5):.2f} s, p99 {percentile(0.99):.2f} s, "
      f"mean {sum(d * w for d, w in samples) / total:.2f} s")


def best_share_within(delay):
    """The largest share of completions any schedule detects within `delay` s: P(detect within d | age a) is
    min(1, d * lam(a)), so rates above 1/d buy nothing and the budget goes first to the ages of highest hazard."""
    useful = min(MAX_RATE, 1 / delay)
    order = sorted(range(len(table)), key=lambda i: -(table[i][0] / max(table[i][1], 1e-12)))
    budget, share = BUDGET - FIRST_POLLS, 0.0
    for i in order:
        f, s = table[i]
        if f <= 0:
            break
        cost = ARRIVALS * s * useful * STEP
        part = min(1.0, budget / cost) if cost > 0 else 1.0
        share += f * STEP * min(1.0, delay * useful) * part
        budget -= cost * part
        if budget <= 0:
            break
    return share


for delay in (0.6, 1.5):
    print(f"largest share of completions any schedule detects within {delay} s: {best_share_within(delay):.1%}")
