import WatcherSync

/// Merchant-wide conditions shared by all of a merchant's lanes: a pause after WeChat Pay rejected our signature
/// (401), and the alarm for a burst of answers that failed verification. Each lane also has one of its own, for a
/// rejecting code that ``RejectionJudge`` found to be the merchant's problem on that API: the same pause, the same
/// single probe at growing intervals.
///
/// State-machine style: methods return what happened, and the caller logs it outside the lock.
final class MerchantGate: Sendable {
    /// What the caller should log.
    enum Event: Equatable {
        /// A first 401: the merchant waits `seconds` and confirms with one freshly signed request before pausing.
        /// One 401 alone proves little: an HTTP client that silently re-sent a request on a dead connection
        /// replays its nonce, and a clock step can make one timestamp stale.
        case confirming(seconds: Double, reason: String)
        /// The merchant was paused (again) after a confirmed 401; `attempt` counts consecutive pauses.
        case paused(seconds: Double, attempt: Int, reason: String)
        /// The first normal answer after a pause.
        case resumed
        /// Too many verification failures in the last minute.
        case verificationAlarm(failuresInLastMinute: Int)
    }

    private struct State {
        var pausedUntil = -Double.infinity
        var consecutiveRejections = 0
        /// When the last counted 401 arrived: a 401 for a request sent before it is the same episode, not a
        /// confirmation.
        var lastRejectionAt = -Double.infinity
        var probeInFlight = false
        var verificationFailures: [Double] = []
        var lastAlarmAt = -Double.infinity

        /// Counts a rejection of a request sent at `sentAt`, which ends a probe in flight; false when the request
        /// left before the previous rejection arrived, so it is the same episode.
        mutating func recordRejection(now: Double, sentAt: Double) -> Bool {
            if consecutiveRejections > 0, sentAt < lastRejectionAt { return false }
            lastRejectionAt = now
            consecutiveRejections += 1
            probeInFlight = false
            return true
        }
    }

    /// Pauses for pause number `attempt`: the base pause, doubled for each attempt after the first, capped.
    private func pause(_ state: inout State, attempt: Int, now: Double, reason: String) -> Event {
        let seconds = min(maximumPause, basePause * Double(1 << min(attempt - 1, 10)))
        state.pausedUntil = now + seconds
        return .paused(seconds: seconds, attempt: attempt, reason: reason)
    }

    let merchantID: String
    private let state = Locked(State())
    private let basePause: Double
    private let maximumPause: Double
    private let alarmThreshold: Int

    private let confirmationPause: Double

    init(
        merchantID: String, basePause: Double = 30, maximumPause: Double = 300, confirmationPause: Double = 1,
        alarmThreshold: Int = 5
    ) {
        self.merchantID = merchantID
        self.confirmationPause = confirmationPause
        self.basePause = basePause
        self.maximumPause = maximumPause
        self.alarmThreshold = alarmThreshold
    }

    /// Nil when a lane may send now; otherwise the monotonic time to look again. After a 401, one request at a
    /// time probes whether the credentials work again. Claims nothing: a lane that goes on to send calls
    /// ``claim(now:)`` at that moment, so a lane that looked and then found nothing due holds no probe.
    func admission(now: Double) -> Double? {
        state.withLock { state in
            guard state.consecutiveRejections > 0 else { return nil }
            if now < state.pausedUntil { return state.pausedUntil }
            return state.probeInFlight ? now + 1 : nil
        }
    }

    /// Claims the right to send one request now: always granted while no 401 is pending; after one, granted to a
    /// single probe at a time. False when the pause is not over or another lane's probe is in flight.
    func claim(now: Double) -> Bool {
        state.withLock { state in
            guard state.consecutiveRejections > 0 else { return true }
            guard now >= state.pausedUntil, !state.probeInFlight else { return false }
            state.probeInFlight = true
            return true
        }
    }

    /// A 401 arrived for a request sent at `sentAt`: the first one is confirmed after a short wait; from the
    /// second in a row on, pause, doubling the pause each time.
    ///
    /// Only a request sent after the previous 401 arrived can confirm it: the other requests already in flight
    /// then (up to the rate limit's worth) carry the same credentials and clock, and an HTTP client that re-sent
    /// one of them on a fresh connection replays its nonce, so their 401s are the same episode. Nil for those.
    func signatureRejected(now: Double, sentAt: Double, reason: String) -> Event? {
        state.withLock { state in
            guard state.recordRejection(now: now, sentAt: sentAt) else { return nil }
            guard state.consecutiveRejections > 1 else {
                state.pausedUntil = now + confirmationPause
                return .confirming(seconds: confirmationPause, reason: reason)
            }
            return pause(&state, attempt: state.consecutiveRejections - 1, now: now, reason: reason)
        }
    }

    /// A rejecting code was judged merchant-wide for a request sent at `sentAt`: pause at once (several rows'
    /// answers are the evidence already), doubling the pause while the probes keep getting it. Answers to requests
    /// sent before the previous one arrived are the same episode: nil for those.
    func merchantWideError(now: Double, sentAt: Double, reason: String) -> Event? {
        state.withLock { state in
            guard state.recordRejection(now: now, sentAt: sentAt) else { return nil }
            return pause(&state, attempt: state.consecutiveRejections, now: now, reason: reason)
        }
    }

    /// True while a pause (or its probe) is pending.
    var isPaused: Bool { state.withLock { $0.consecutiveRejections > 0 } }

    /// Any answer other than a 401 arrived: the credentials work.
    func answered() -> Event? {
        state.withLock { state in
            state.probeInFlight = false
            guard state.consecutiveRejections > 0 else { return nil }
            state.consecutiveRejections = 0
            state.pausedUntil = -Double.infinity
            return .resumed
        }
    }

    /// A request got no answer at all: a probe in flight is over, the pause stays.
    func requestFailed() {
        state.withLock { $0.probeInFlight = false }
    }

    /// A 2xx failed verification; returns an alarm at most once a minute when failures pile up.
    func verificationFailed(now: Double) -> Event? {
        state.withLock { state in
            state.verificationFailures.append(now)
            state.verificationFailures.removeAll { $0 < now - 60 }
            let count = state.verificationFailures.count
            guard count >= alarmThreshold, now - state.lastAlarmAt >= 60 else { return nil }
            state.lastAlarmAt = now
            return .verificationAlarm(failuresInLastMinute: count)
        }
    }
}
