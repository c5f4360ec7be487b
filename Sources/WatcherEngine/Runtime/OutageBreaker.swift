import WatcherSync
import WeChatPay

/// A lane's judgement of whether the API answers at all.
///
/// After ``threshold`` polls in a row, of more than one row, got no answer or a 5xx, the API is taken to be down:
/// the lane then sends one request at a time, after a pause that doubles up to ``maximumPause``, instead of
/// letting every due row retry on its own schedule. The rows not sent keep their place, so the first answer lets
/// every one of them go at once, rather than each waiting out a back-off it built up during the outage.
///
/// State-machine style, like ``MerchantGate`` (which keeps the pause and its single probe): methods return what
/// happened, and the caller logs it.
final class OutageBreaker: Sendable {
    /// What the caller should log.
    enum Event: Equatable {
        /// The API was taken to be down after `failures` polls in a row got nothing usable; the next probe leaves
        /// in `probeInSeconds`.
        case opened(failures: Int, probeInSeconds: Double, reason: String)
        /// An answer came after an outage that began `downSeconds` ago.
        case closed(downSeconds: Double)
    }

    /// Polls in a row without an answer before the API is taken to be down: half a second of a full budget, and
    /// rare enough by chance (a third of requests failing would make ten in a row about one poll in 60,000).
    static let threshold = 10
    /// The longest pause between two probes, in seconds: the delay with which the end of a long outage is noticed.
    static let maximumPause = 10.0

    private struct State {
        var failuresInARow = 0
        /// The row of the streak's first failure, and whether another row has failed since.
        var firstRow: Int64?
        var severalRows = false
        /// When the current outage began; nil while the API answers.
        var openedAt: Double?
    }

    private let state = Locked(State())
    private let gate: MerchantGate

    init(merchantID: String) {
        gate = MerchantGate(merchantID: merchantID, basePause: 1, maximumPause: Self.maximumPause)
    }

    /// Nil when the lane may send now; otherwise the monotonic time to look again.
    func admission(now: Double) -> Double? { gate.admission(now: now) }

    /// Claims the right to send one request now; during an outage, granted to one probe at a time.
    func claim(now: Double) -> Bool { gate.claim(now: now) }

    /// Gives back a claim for a request that did not leave after all.
    func release() { gate.requestFailed() }

    /// Whether an outcome means the API gave no usable answer: nothing arrived, or a 5xx.
    static func isUnavailable(_ outcome: APIOutcome) -> Bool {
        switch outcome {
        case .failed(let failure):
            switch failure {
            // Something answered: the answer itself was the problem, or we stopped waiting.
            case .bodyTooLarge, .malformedResponse, .cancelled: false
            default: true
            }
        case .errorAnswer(let status, _, _): status >= 500
        case .verified, .unverified: false
        }
    }

    /// A poll of row `rowID`, sent at `sentAt`, got no usable answer (`reason`).
    func unavailable(rowID: Int64, now: Double, sentAt: Double, reason: String) -> Event? {
        let (failures, isDown) = state.withLock { state -> (Int, Bool) in
            state.failuresInARow += 1
            if let first = state.firstRow {
                if first != rowID { state.severalRows = true }
            } else {
                state.firstRow = rowID
            }
            let isDown = state.openedAt != nil || (state.failuresInARow >= Self.threshold && state.severalRows)
            return (state.failuresInARow, isDown)
        }
        guard isDown else { return nil }
        // Polls sent before the outage was declared (or before a probe failed) are the same episode.
        guard
            case .paused(let seconds, let attempt, _)? = gate.merchantWideError(
                now: now, sentAt: sentAt, reason: reason)
        else { return nil }
        guard attempt == 1 else { return nil }
        state.withLock { $0.openedAt = now }
        return .opened(failures: failures, probeInSeconds: seconds, reason: reason)
    }

    /// A poll got an answer (of any kind but a 5xx): the streak ends, and an outage with it.
    func answered(now: Double) -> Event? {
        let openedAt = state.withLock { state -> Double? in
            let openedAt = state.openedAt
            state = State()
            return openedAt
        }
        guard gate.answered() == .resumed, let openedAt else { return nil }
        return .closed(downSeconds: now - openedAt)
    }
}
