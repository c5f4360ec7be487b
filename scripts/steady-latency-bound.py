#!/usr/bin/env python3
"""The best detection latency any scheduler can reach on the `steady` benchmark workload (or `saturated`).

Workload: tasks arrive at 4/s (saturated: 8/s); each finishes 2 s + lognormal(median 6 s, sigma 0.6) after
creation. Budget: 20 requests/s for the merchant, first polls included, so at most 20/4 = 5 polls per task on
average (saturated: 2.5). A row is polled at most once a second (polling.minimum_interval_seconds, default 1); its
first poll leaves 0.05 s after creation (intake looks every 0.1 s). The scheduler is granted perfect knowledge of
the completion-age distribution (the daemon has to learn it) and zero network time.

A row's schedule is the ages of its polls t0 < t1 < ... (gaps >= 1 s). Poll k+1 is sent only if the row was still
unfinished at poll k, so a schedule costs 1 + sum_k S(t_k) polls per task (S: survival); a completion at age c is
detected at the first poll after c. The script finds, for a latency D, the cheapest schedule that detects all but
a share q of completions within D: a dynamic programme over the age of the last poll with a Lagrange price on
missed completions (mixing two schedules where the price jumps, as rows may follow different schedules), then the
smallest D whose cost fits the budget. That D for q = 1% is the best possible p99; for q = 50%, the best p50.

Every poll counts, including the one that finds the row finished: an earlier version of this script charged only
polls of unfinished rows (one poll per task too few) and so reported an unreachable p99 of 1.43 s.

With `--joint P50 P99` it asks whether one schedule mix can have both: at least half the completions detected within
P50 seconds and 99% within P99, within the budget. It prints a lower bound on the polls per task any such mix
needs (the Lagrange dual of the two conditions, maximised over a grid of prices): above the budget proves the pair
impossible; below it does not prove it possible.

With `--first-poll-any-age` a row's first poll may come at any age from 0.05 s on instead of at 0.05 s, as the
budget scheduler places a new row's first poll when its lane is busy: the bound for schedules that do so.

Run: python3 scripts/steady-latency-bound.py [steady|saturated] [--joint P50 P99] [--first-poll-any-age]
(about a minute; --joint several)
"""
import math
import sys

import numpy as np

STEP = 0.05  # seconds per grid step
FIRST_POLL_STEP = 1  # the first poll at 0.05 s
MINIMUM_INTERVAL = 1.0
LONGEST_GAP = 20.0  # longer gaps never pay on these workloads (the hazard stays high in the tail)


def survival(ages):
    x = ages - 2.0
    out = np.ones_like(ages)
    alive = x > 0
    z = np.log(x[alive] / 6.0) / 0.6
    out[alive] = 0.5 * np.vectorize(math.erfc)(z / math.sqrt(2))
    return out


def cheapest(S, delay_steps, price):
    """The schedule minimising polls + price x missed share: (polls per task, missed share)."""
    polls, missed, _ = cheapest_joint(S, delay_steps, price, delay_steps, 0.0)
    return polls, missed


def fewest_polls(S, delay, share):
    """Fewest polls per task that detect all but `share` of completions within `delay` seconds."""
    steps = int(round(delay / STEP))
    low, high = 1e-3, 1e6
    polls_low, missed_low = cheapest(S, steps, low)
    if missed_low <= share:
        return polls_low
    polls_high, missed_high = cheapest(S, steps, high)
    if missed_high > share:
        return math.inf
    while high / low > 1.002:
        price = math.sqrt(low * high)
        polls, missed = cheapest(S, steps, price)
        if missed > share:
            low, polls_low, missed_low = price, polls, missed
        else:
            high, polls_high, missed_high = price, polls, missed
    if missed_low == missed_high:
        return polls_high
    weight = (missed_low - share) / (missed_low - missed_high)
    return polls_low + weight * (polls_high - polls_low)


def best_latency(S, share, budget):
    low, high = 0.0, 30.0
    while high - low > STEP / 2:
        middle = (low + high) / 2
        if fewest_polls(S, middle, share) <= budget:
            high = middle
        else:
            low = middle
    return high


def cheapest_joint(S, delay1, price1, delay2, price2):
    """Polls, and shares missed within each delay, of the schedule minimising polls + the two priced misses."""
    F = 1 - S
    n = len(S)
    value = np.zeros(n)
    following = np.full(n, -1)
    shortest = int(round(MINIMUM_INTERVAL / STEP))
    longest = int(round(LONGEST_GAP / STEP))
    for i in range(n - 1, -1, -1):
        stop = (price1 + price2) * S[i]
        value[i] = stop
        low, high = i + shortest, min(n - 1, i + longest)
        if low > high:
            continue
        nexts = np.arange(low, high + 1)
        missed1 = np.maximum(0.0, F[np.maximum(nexts - delay1, 0)] - F[i])
        missed2 = np.maximum(0.0, F[np.maximum(nexts - delay2, 0)] - F[i])
        costs = S[i] + price1 * missed1 + price2 * missed2 + value[nexts]
        best = int(np.argmin(costs))
        if costs[best] < stop:
            value[i], following[i] = costs[best], nexts[best]
    polls, i = 1.0, FIRST_POLL_STEP
    if DEFERRED_FIRST_POLL:
        # The first poll at any age from 0.05 s on: completions before it wait for it.
        firsts = np.arange(FIRST_POLL_STEP, min(n, FIRST_POLL_STEP + longest))
        missed1 = np.maximum(0.0, F[np.maximum(firsts - delay1, 0)])
        missed2 = np.maximum(0.0, F[np.maximum(firsts - delay2, 0)])
        i = int(firsts[int(np.argmin(1 + price1 * missed1 + price2 * missed2 + value[firsts]))])
    # Finished before the first poll: none before 2 s (F = 0), so none at 0.05 s.
    missed1 = max(0.0, F[max(i - delay1, 0)])
    missed2 = max(0.0, F[max(i - delay2, 0)])
    while following[i] >= 0:
        j = following[i]
        polls += S[i]
        missed1 += max(0.0, F[max(j - delay1, 0)] - F[i])
        missed2 += max(0.0, F[max(j - delay2, 0)] - F[i])
        i = j
    return polls, missed1 + S[i], missed2 + S[i]


def joint_lower_bound(S, p50, p99):
    """A lower bound on the polls per task of any mix of schedules with p50 <= p50 and p99 <= p99."""
    steps1, steps2 = int(round(p50 / STEP)), int(round(p99 / STEP))
    best = -math.inf
    for price1 in np.linspace(0, 8, 17):
        for price2 in np.linspace(0, 40, 21):
            polls, missed1, missed2 = cheapest_joint(S, steps1, price1, steps2, price2)
            best = max(best, polls + price1 * (missed1 - 0.5) + price2 * (missed2 - 0.01))
    return best


DEFERRED_FIRST_POLL = "--first-poll-any-age" in sys.argv
arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
workload = arguments[0] if arguments and arguments[0] in ("steady", "saturated") else "steady"
arrivals = {"steady": 4.0, "saturated": 8.0}[workload]
budget = 20.0 / arrivals
S = survival(np.arange(0, 150, STEP))
first = "at any age" if DEFERRED_FIRST_POLL else "at 0.05 s"
print(
    f"{workload}: {arrivals:.0f} tasks/s, at most {budget:.2f} polls per task, minimum interval"
    f" {MINIMUM_INTERVAL:.0f} s, first poll {first}"
)
if "--joint" in sys.argv:
    index = sys.argv.index("--joint")
    p50, p99 = float(sys.argv[index + 1]), float(sys.argv[index + 2])
    bound = joint_lower_bound(S, p50, p99)
    verdict = "impossible" if bound > budget else "not proven impossible"
    print(f"p50 <= {p50:.2f} s and p99 <= {p99:.2f} s together need at least {bound:.2f} polls per task: {verdict}")
else:
    for label, share in (("p50", 0.5), ("p99", 0.01)):
        print(f"best possible {label}: {best_latency(S, share, budget):.2f} s")
