/// The request budget of one merchant and one API: never more than `limit` requests in any window of `window`
/// seconds *as the server counts them*, whatever the network does to arrival times.
///
/// A plain token bucket paced on send times is not enough: jitter moves arrivals, and 21 requests land in one
/// server-side second (the issue's "pacing at exactly 50 ms still gets 429s"). This limiter bounds arrivals
/// instead. A request arrives at the server after we send it and before we receive its answer, so a request
/// answered more than `window` seconds ago cannot share any window with one sent now. The rule:
///
/// > issue a request only while fewer than `limit` requests are in flight or were answered in the last `window`.
///
/// Proof sketch: take any server-side window holding arrivals, and the request *i* issued last among them, at
/// time tᵢ ≤ aᵢ. Every other request *k* in that window arrived after aᵢ − window ≥ tᵢ − window, so at tᵢ it was
/// either in flight or answered within the last `window`: it was counted. Fewer than `limit` were, so the window
/// holds at most `limit` arrivals. A hung request keeps only its own slot busy; the others keep cycling.
///
/// Under backlog each slot cycles every `window` + round-trip, so throughput is `limit / (window + RTT)`: 99.8%
/// of the budget with a 2 ms round-trip on loopback.
///
/// On a 429 (the merchant's other systems may share the quota) the limiter pauses briefly and cuts its rate
/// multiplicatively, then recovers step by step: additive increase, multiplicative decrease.
///
/// A pure value: time comes in as arguments, so tests drive it without sleeping.
package struct RateLimiter: Sendable {
    /// A granted request; hand it back to ``complete(_:at:)`` when its answer (or failure) arrives.
    package struct Permit: Sendable, Hashable {
        /// Distinguishes permits.
        package let id: UInt64
        /// Monotonic seconds when the permit was issued.
        package let issuedAt: Double
    }

    /// A change of the effective rate, to be logged once.
    package enum Change: Sendable, Equatable {
        /// A 429 cut the rate and paused issuing.
        case reduced(from: Double, to: Double, pauseSeconds: Double)
        /// A quiet period raised the rate one step.
        case recovered(from: Double, to: Double)
    }

    /// The tuning of back-off and recovery.
    package struct Tuning: Sendable, Equatable {
        /// Issuing stops for this long after a 429.
        package var pauseSeconds: Double = 1
        /// The rate is multiplied by this on a 429.
        package var decreaseFactor: Double = 0.7
        /// The rate never goes below this many requests per second.
        package var minimumRate: Double = 1
        /// Without a 429 for this long, the rate rises one step.
        package var recoveryInterval: Double = 3
        /// The rise per step, as a fraction of the configured rate.
        package var recoveryStepFraction: Double = 0.1
        /// Consecutive requests are at least this fraction of the mean spacing apart, so a backlog does not leave
        /// as a burst of `limit` simultaneous requests.
        package var minimumSpacingFraction: Double = 0.5

        /// The defaults.
        package init() {}
    }

    /// The configured budget: requests per `window`.
    package let limit: Int
    /// The window the server counts in, plus the safety margin.
    package let window: Double
    /// Back-off and recovery settings.
    package let tuning: Tuning
    /// The current target rate in requests per second; `limit / window` unless a 429 cut it.
    package private(set) var rate: Double

    private var inFlight: [UInt64: Double] = [:]
    private var answeredAt: [Double] = []
    private var nextID: UInt64 = 0
    private var lastIssuedAt = -Double.infinity
    private var pausedUntil = -Double.infinity
    private var lastRateChangeAt = -Double.infinity
    private var lastCutAt = -Double.infinity

    /// Creates a limiter.
    ///
    /// - Parameters:
    ///   - limit: requests allowed per second by the API (20).
    ///   - safetyMargin: seconds added to the one-second window, for clock-rate differences between hosts.
    package init(limit: Int, safetyMargin: Double = 0.002, tuning: Tuning = Tuning()) {
        precondition(limit > 0, "a rate limit must allow at least one request")
        self.limit = limit
        self.window = 1 + max(0, safetyMargin)
        self.tuning = tuning
        self.rate = Double(limit)
    }

    /// The configured rate in requests per second.
    package var configuredRate: Double { Double(limit) }

    /// The share of the current rate used over the last window: requests in flight or answered within it.
    package func utilisation(now: Double) -> Double {
        let recent = answeredAt.count { $0 > now - window }
        return min(1, Double(inFlight.count + recent) / max(rate * window, 1))
    }

    /// The window the current rate implies: `window` at full rate, longer after a cut.
    private var effectiveWindow: Double { window * Double(limit) / rate }

    /// The earliest monotonic time a request may be issued, or nil while every slot waits for an answer (the
    /// caller waits for ``complete(_:at:)`` instead).
    package func earliestIssue(now: Double) -> Double? {
        guard inFlight.count < limit else { return nil }
        var earliest = max(now, pausedUntil, lastIssuedAt + tuning.minimumSpacingFraction / rate)
        let excess = inFlight.count + answeredAt.count - limit + 1
        if excess > 0 {
            let sorted = answeredAt.sorted()
            earliest = max(earliest, sorted[excess - 1] + effectiveWindow)
        }
        return earliest
    }

    /// Issues a permit; the caller has checked ``earliestIssue(now:)``.
    package mutating func issue(now: Double) -> Permit {
        forgetOldAnswers(now: now)
        nextID += 1
        inFlight[nextID] = now
        lastIssuedAt = now
        return Permit(id: nextID, issuedAt: now)
    }

    /// Records that the permit's request was answered or failed at `at` (monotonic seconds).
    package mutating func complete(_ permit: Permit, at: Double) {
        guard inFlight.removeValue(forKey: permit.id) != nil else { return }
        answeredAt.append(max(at, permit.issuedAt))
        forgetOldAnswers(now: at)
    }

    /// Records a 429 for the permit's request. Only requests issued after the last cut count, so one burst of
    /// 429s from requests already in flight cuts the rate once.
    package mutating func recordThrottled(_ permit: Permit, now: Double) -> Change? {
        guard permit.issuedAt >= lastCutAt else { return nil }
        let before = rate
        rate = max(tuning.minimumRate, rate * tuning.decreaseFactor)
        pausedUntil = now + tuning.pauseSeconds
        lastRateChangeAt = now
        lastCutAt = now
        return .reduced(from: before, to: rate, pauseSeconds: tuning.pauseSeconds)
    }

    /// Raises the rate one step when it has been cut and no 429 came for a while.
    package mutating func recover(now: Double) -> Change? {
        guard rate < configuredRate, now - lastRateChangeAt >= tuning.recoveryInterval else { return nil }
        let before = rate
        rate = min(configuredRate, rate + max(1, configuredRate * tuning.recoveryStepFraction))
        lastRateChangeAt = now
        return .recovered(from: before, to: rate)
    }

    private mutating func forgetOldAnswers(now: Double) {
        let horizon = now - effectiveWindow
        answeredAt.removeAll { $0 <= horizon }
    }
}
