import Testing
import WatcherEngine
import WatcherTestSupport
import WeChatPaySimulator

/// A discrete-event run of one lane under permanent backlog: every time the limiter allows, a request leaves;
/// it reaches the server after a random delay and its answer comes back after another.
struct BacklogSimulation {
    var limiter: RateLimiter
    var requestDelay: ClosedRange<Double>
    var answerDelay: ClosedRange<Double>
    var hung: Set<Int> = []
    var random = SeededRandom(seed: 42)

    /// Server arrival times of all requests sent during `duration` seconds.
    mutating func run(duration: Double) -> [Double] {
        var now = 0.0
        var arrivals: [Double] = []
        var completions: [(at: Double, permit: RateLimiter.Permit)] = []
        var sent = 0
        while now < duration {
            completions.sort { $0.at < $1.at }
            while let first = completions.first, first.at <= now {
                limiter.complete(first.permit, at: first.at)
                completions.removeFirst()
            }
            if let earliest = limiter.earliestIssue(now: now), earliest <= now {
                let permit = limiter.issue(now: now)
                let arrival = now + draw(requestDelay)
                arrivals.append(arrival)
                if !hung.contains(sent) { completions.append((arrival + draw(answerDelay), permit)) }
                sent += 1
                continue
            }
            let nextIssue = limiter.earliestIssue(now: now) ?? .infinity
            now = min(nextIssue, completions.map(\.at).min() ?? .infinity)
        }
        return arrivals
    }

    mutating func draw(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * random.unit()
    }
}

/// The most arrivals in any half-open one-second window.
func largestWindow(_ arrivals: [Double]) -> Int {
    let sorted = arrivals.sorted()
    var best = 0
    var start = 0
    for end in sorted.indices {
        while sorted[end] - sorted[start] >= 1 { start += 1 }
        best = max(best, end - start + 1)
    }
    return best
}

@Suite("RateLimiter")
struct RateLimiterTests {
    @Test(
        "never more than the limit in any one-second window at the server, whatever the network jitter",
        arguments: [(0.0...0.002), (0.0...0.05), (0.0...0.4)]
    )
    func windowBoundUnderJitter(jitter: ClosedRange<Double>) {
        var simulation = BacklogSimulation(
            limiter: RateLimiter(limit: 20, safetyMargin: 0), requestDelay: jitter, answerDelay: jitter)
        let arrivals = simulation.run(duration: 120)
        #expect(largestWindow(arrivals) <= 20)
        #expect(arrivals.count > 1_000)
    }

    @Test("a plain token bucket pacing at exactly 50 ms does exceed 20 per second once jitter moves arrivals")
    func naivePacingFails() {
        var random = SeededRandom(seed: 7)
        let arrivals = (0..<2_400).map { Double($0) * 0.05 + 0.03 * random.unit() }
        #expect(largestWindow(arrivals) > 20)
    }

    @Test("under backlog with a loopback round-trip it sustains at least 98% of the budget")
    func throughput() {
        var simulation = BacklogSimulation(
            limiter: RateLimiter(limit: 20, safetyMargin: 0.002),
            requestDelay: 0.0002...0.001,
            answerDelay: 0.0005...0.002
        )
        let arrivals = simulation.run(duration: 100)
        let rate = Double(arrivals.filter { $0 >= 10 && $0 < 100 }.count) / 90
        #expect(rate >= 0.98 * 20, "sustained \(rate) requests per second")
    }

    @Test("a request that never answers holds only its own slot")
    func hungRequest() {
        var simulation = BacklogSimulation(
            limiter: RateLimiter(limit: 20, safetyMargin: 0.002),
            requestDelay: 0.0005...0.001,
            answerDelay: 0.0005...0.001,
            hung: [3]
        )
        let arrivals = simulation.run(duration: 60)
        let rate = Double(arrivals.filter { $0 >= 10 }.count) / 50
        #expect(rate > 18.5 && rate < 19.1, "19 of 20 slots keep cycling; got \(rate)/s")
        #expect(largestWindow(arrivals) <= 20)
    }

    @Test("every slot waiting for an answer means no permit until one completes")
    func allSlotsBusy() {
        var limiter = RateLimiter(limit: 2, safetyMargin: 0, tuning: .init())
        let first = limiter.issue(now: 0)
        _ = limiter.issue(now: 0.3)
        #expect(limiter.earliestIssue(now: 0.5) == nil)
        limiter.complete(first, at: 0.6)
        #expect(limiter.earliestIssue(now: 0.7) == 1.6)
    }

    @Test("a 429 pauses at once and cuts the rate; 429s of requests sent before the cut do not cut again")
    func throttleBackOff() {
        var limiter = RateLimiter(limit: 20, safetyMargin: 0)
        let early = limiter.issue(now: 0)
        let alsoEarly = limiter.issue(now: 0.05)
        #expect(limiter.recordThrottled(early, now: 0.1) == .reduced(from: 20, to: 14, pauseSeconds: 1))
        #expect(limiter.recordThrottled(alsoEarly, now: 0.12) == nil)
        #expect((limiter.earliestIssue(now: 0.2) ?? 0) >= 1.1)
        let late = limiter.issue(now: 1.2)
        #expect(limiter.recordThrottled(late, now: 1.3) == .reduced(from: 14, to: 14 * 0.7, pauseSeconds: 1))
    }

    @Test("after a quiet period the rate recovers one step at a time back to the configured rate")
    func recovery() {
        var limiter = RateLimiter(limit: 20, safetyMargin: 0)
        _ = limiter.recordThrottled(limiter.issue(now: 0), now: 0)
        #expect(limiter.rate == 14)
        #expect(limiter.recover(now: 1) == nil)
        #expect(limiter.recover(now: 3) == .recovered(from: 14, to: 16))
        #expect(limiter.recover(now: 4) == nil)
        #expect(limiter.recover(now: 6) == .recovered(from: 16, to: 18))
        #expect(limiter.recover(now: 9) == .recovered(from: 18, to: 20))
        #expect(limiter.recover(now: 20) == nil)
    }

    @Test("after a cut the window bound follows the lower rate")
    func reducedRateBound() {
        var reduced = RateLimiter(limit: 20, safetyMargin: 0)
        _ = reduced.recordThrottled(reduced.issue(now: -10), now: -10)
        var simulation = BacklogSimulation(limiter: reduced, requestDelay: 0...0.001, answerDelay: 0...0.001)
        let arrivals = simulation.run(duration: 2.9)
        let rate = Double(arrivals.count - 1) / 2.9
        #expect(rate <= 14.5)
    }
}
