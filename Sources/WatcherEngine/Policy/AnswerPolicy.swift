import Foundation
import WatcherLog
import WatcherSQLite
import WatcherStore
import WeChatPay

/// The polling settings every kind shares.
package struct PollingTuning: Sendable, Equatable {
    /// A row is never polled again sooner than this after its last answer.
    package var minimumInterval: Double
    /// Rows still unfinished this long after creation become `EXPIRED`.
    package var deadline: Double
    /// A 404 is retried this long (a resource may not be visible the instant it is created), then `REJECTED`.
    package var notFoundGrace: Double
    /// The cap of the retry back-off after failures.
    package var maximumRetryInterval: Double

    /// Creates settings; the defaults are the documented ones.
    package init(
        minimumInterval: Double = 1,
        deadline: Double = 24 * 3600,
        notFoundGrace: Double = 120,
        maximumRetryInterval: Double = 60
    ) {
        self.minimumInterval = minimumInterval
        self.deadline = deadline
        self.notFoundGrace = notFoundGrace
        self.maximumRetryInterval = maximumRetryInterval
    }
}

/// What a poll means for the merchant as a whole, beyond its row.
package enum MerchantSignal: Sendable, Equatable {
    /// Nothing beyond the row.
    case none
    /// A 429: the limiter backs off.
    case throttled
    /// A 401: our credentials or clock are wrong; the merchant is paused.
    case signatureRejected(String)
    /// A 2xx that failed verification: counted towards the merchant's alarm.
    case verificationFailed(VerificationFailure)
    /// A rejecting code that is the merchant's problem, not the row's: the lane pauses.
    case merchantWideError(code: String, message: String, requestID: String?)
}

/// A log line the engine writes about one poll.
package struct PollEvent: Sendable, Equatable {
    /// The level.
    package var level: LogLevel
    /// The event name.
    package var name: String
    /// The fields, in order.
    package var fields: [LogField]
}

/// The consequences of one poll.
package struct PollDecision: Sendable {
    /// The change to the row (always at least bookkeeping).
    package var update: RowUpdate
    /// The consequence for the merchant.
    package var signal: MerchantSignal
    /// A line to log now (transitions are logged after they commit).
    package var event: PollEvent?
    /// For a row that finished: seconds from its start to this answer, for learning.
    package var completedAge: Double?
    /// A verified answer that could not be right: counted with the lane's failures.
    package var isAnomaly = false
}

/// Maps the outcome of one poll to what the row and the merchant need (the README's failure table).
///
/// Pure: the clock, the scheduler's answer and the row come in; a decision comes out.
package struct AnswerPolicy: Sendable {
    /// Shared polling settings.
    package var settings: PollingTuning

    /// Creates the policy.
    package init(settings: PollingTuning) {
        self.settings = settings
    }

    /// Decides what a poll's outcome means.
    ///
    /// - Parameters:
    ///   - nextPoll: when the scheduler would poll the row again; asked only for a row still unfinished, since
    ///     asking teaches a learning scheduler (as the scheduling simulator asks it).
    ///   - rejection: the lane's ``RejectionJudge`` verdict for a rejecting code; nil rejects the row at once.
    package func decide(
        _ exchange: APIExchange,
        row: QueuedRow,
        kind: any ResourceKind,
        now: Date,
        nextPoll: @autoclosure () -> Double,
        rejection: RejectionJudge.Verdict? = nil
    ) -> PollDecision {
        var decision = Decision(row: row, kind: kind, exchange: exchange, now: now, settings: settings)
        decision.rejection = rejection
        switch exchange.outcome {
        case .verified(_, let body):
            switch kind.interpret(body, for: row) {
            case .state(let state, let results, let detail, let notice):
                decision.answered(state: state, results: results, detail: detail, nextPoll: nextPoll)
                if let notice { decision.notice(notice) }
            case .anomaly(let reason):
                decision.retry(error: "answer not believed: \(reason)", event: "answer.anomaly", level: .warning)
                decision.isAnomaly = true
            }
        case .unverified(let failure, let status):
            decision.retry(
                error: "answer failed verification: \(failure)",
                event: "answer.unverified",
                level: .warning,
                extra: [
                    LogField(key: "reason", value: .string(failure.reason)), .init(key: "status", value: .int(status)),
                ]
            )
            decision.signal = .verificationFailed(failure)
        case .errorAnswer(let status, let error, let excerpt):
            decision.errorAnswer(status: status, error: error, excerpt: excerpt)
        case .failed(let failure):
            decision.retry(
                error: "request failed: \(failure)",
                event: "request.failed",
                level: .warning,
                extra: [LogField(key: "failure", value: .string(failure.kind))]
                    + (failure.reason.map { [LogField(key: "reason", value: .string($0))] } ?? []),
                countsAsFailure: true
            )
        }
        return decision.result
    }
}

/// The decision under construction for one poll.
private struct Decision {
    let row: QueuedRow
    let kind: any ResourceKind
    let exchange: APIExchange
    let now: Date
    let settings: PollingTuning
    var update: RowUpdate
    var signal = MerchantSignal.none
    var event: PollEvent?
    var completedAge: Double?
    var isAnomaly = false
    var rejection: RejectionJudge.Verdict?

    init(row: QueuedRow, kind: any ResourceKind, exchange: APIExchange, now: Date, settings: PollingTuning) {
        self.row = row
        self.kind = kind
        self.exchange = exchange
        self.now = now
        self.settings = settings
        self.update = RowUpdate(row: row, table: kind.table, at: now)
    }

    var result: PollDecision {
        PollDecision(
            update: update, signal: signal, event: event, completedAge: completedAge, isAnomaly: isAnomaly)
    }

    private var nowSeconds: Double { now.timeIntervalSince1970 }

    private var requestIDSuffix: String {
        exchange.requestID.map { " (Request-ID \($0))" } ?? ""
    }

    /// A believed answer: record the state; a final one ends the watch.
    mutating func answered(
        state: String, results: [String: SQLiteValue], detail: String?, nextPoll: () -> Double
    ) {
        update.newState = state
        update.results = results
        update.countsAsPoll = true
        update.failureCount = 0
        update.error = row.failureCount > 0 || row.notFoundSince != nil ? .clear : .keep
        update.notFoundSince = row.notFoundSince != nil ? .clear : .keep
        update.transitionDetail = detail
        if kind.finalStates.contains(state) {
            update.isTerminal = true
            completedAge = row.startedAt.map { nowSeconds - $0 }
        } else {
            update.nextPollAt = .set(max(nextPoll(), nowSeconds + settings.minimumInterval))
        }
    }

    /// A believed answer with something worth telling the operator.
    mutating func notice(_ text: String) {
        event = PollEvent(
            level: .warning, name: "answer.notice", fields: baseFields + [LogField(key: "notice", value: .string(text))]
        )
    }

    /// A failure that leaves the row as it is except its error and retry bookkeeping; past the deadline, it ends
    /// the watch instead.
    ///
    /// - Parameter keepsError: the row keeps the error it has (the failure is the merchant's, not the row's).
    mutating func retry(
        error: String,
        event name: String,
        level: LogLevel,
        extra: [LogField] = [],
        countsAsFailure: Bool = true,
        keepsError: Bool = false,
        retryAfter: Double? = nil
    ) {
        let failures = row.failureCount + (countsAsFailure ? 1 : 0)
        update.failureCount = failures
        update.error = keepsError ? .keep : .set(error + requestIDSuffix)
        let delay =
            retryAfter ?? RetryBackoff.delay(failures: failures, seed: row.rowID, cap: settings.maximumRetryInterval)
        // No retry sooner than the minimum interval either: it is the promise about every row, failing or not.
        update.nextPollAt = .set(nowSeconds + max(delay, settings.minimumInterval))
        event = PollEvent(
            level: level, name: name, fields: baseFields + extra + [LogField(key: "error", value: .string(error))])
        if Expiry.isDue(row, now: nowSeconds, deadline: settings.deadline) {
            Expiry.end(&update, state: row.state, deadline: settings.deadline, lastError: error + requestIDSuffix)
        }
    }

    /// Ends the watch with a local final state.
    mutating func end(in state: String, error: String) {
        update.newState = state
        update.isTerminal = true
        update.error = .set(error)
        update.transitionDetail = error
    }

    /// The codes with which a 404 says the resource itself is unknown; matched whole, since other codes that name
    /// something missing (`MCH_NOT_EXISTS`) are not about the row.
    static let notFoundCodes: Set<String> = ["RESOURCE_NOT_EXISTS", "NOT_FOUND"]

    mutating func errorAnswer(status: Int, error: APIErrorBody?, excerpt: String) {
        let code = error?.code ?? ""
        let described = "HTTP \(status)" + (error.map { " \($0.code): \($0.message)" } ?? " \(excerpt)")
        var fields = [LogField(key: "status", value: .int(status))]
        if !code.isEmpty { fields.append(LogField(key: "code", value: .string(code))) }
        switch (status, code) {
        case (429, _):
            signal = .throttled
            retry(
                error: described, event: "request.throttled", level: .debug, extra: fields, countsAsFailure: false,
                keepsError: true, retryAfter: 0)
        case (401, _):
            signal = .signatureRejected(described + requestIDSuffix)
            retry(
                error: described, event: "request.unauthorized", level: .debug, extra: fields, countsAsFailure: false,
                keepsError: true, retryAfter: 1)
        case (400, "PARAM_ERROR"), (400, "INVALID_REQUEST"), (403, "NO_AUTH"):
            switch rejection {
            case .merchantWide:
                // The merchant's problem: the row keeps its state and error, and waits for the lane to resume.
                signal = .merchantWideError(code: code, message: error?.message ?? "", requestID: exchange.requestID)
                retry(
                    error: described, event: "request.merchant_wide", level: .debug, extra: fields,
                    countsAsFailure: false, keepsError: true, retryAfter: 1)
            case .retry(let seconds):
                retry(
                    error: described + " (asked again before the row is rejected)", event: "request.rejecting_code",
                    level: .info, extra: fields, retryAfter: seconds)
            case .reject, nil:
                end(in: LocalState.rejected, error: described + requestIDSuffix)
                event = PollEvent(
                    level: .warning, name: "row.rejected",
                    fields: baseFields + fields + [LogField(key: "error", value: .string(described))])
            }
        case (404, let code) where Self.notFoundCodes.contains(code):
            notFound(described: described, fields: fields)
        case (404, _):
            // Not WeChat Pay saying the resource is unknown (a gateway's or proxy's page, another code such as
            // `MCH_NOT_EXISTS`, which is about the merchant): a final state must not come from it.
            let raw = error == nil ? " (unparsable body: \(excerpt))" : ""
            retry(error: described + raw, event: "request.unexpected_status", level: .warning, extra: fields)
        case (500...599, _):
            retry(error: described, event: "request.server_error", level: .warning, extra: fields)
        default:
            let raw = error == nil ? " (unparsable body: \(excerpt))" : ""
            retry(error: described + raw, event: "request.unexpected_status", level: .warning, extra: fields)
        }
    }

    private mutating func notFound(described: String, fields: [LogField]) {
        let since = row.notFoundSince ?? nowSeconds
        let waited = nowSeconds - since
        if waited >= settings.notFoundGrace {
            end(
                in: LocalState.rejected,
                error: "\(described) for \(Int(waited)) s (grace \(Int(settings.notFoundGrace)) s)\(requestIDSuffix)")
            event = PollEvent(
                level: .warning, name: "row.rejected",
                fields: baseFields + fields + [LogField(key: "error", value: .string(described))])
            return
        }
        let failures = row.failureCount + 1
        let delay = min(
            RetryBackoff.delay(failures: failures, seed: row.rowID, cap: 10), settings.notFoundGrace - waited)
        retry(
            error: described + " (retrying during the grace period)", event: "request.not_found", level: .info,
            extra: fields, retryAfter: max(delay, 0.5))
        update.notFoundSince = .set(since)
    }

    private var baseFields: [LogField] {
        var fields = [
            LogField(key: "resource", value: .string(kind.resource)),
            LogField(key: "merchant", value: .string(row.merchantID)),
            LogField(key: "id", value: .string(row.resourceID)),
            LogField(key: "host", value: .string(exchange.baseURL)),
        ]
        if let requestID = exchange.requestID { fields.append(LogField(key: "request_id", value: .string(requestID))) }
        return fields
    }
}

/// Exponential back-off with deterministic jitter: 1 s, 2 s, 4 s … up to a cap, each ±20%, so rows that failed
/// together do not retry together.
package enum RetryBackoff {
    /// The delay before retry number `failures` (1-based).
    package static func delay(failures: Int, seed: Int64, cap: Double) -> Double {
        let exponent = Double(min(max(failures - 1, 0), 30))
        let base = min(cap, pow(2, exponent))
        var hash = UInt64(bitPattern: seed) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(failures)
        hash ^= hash >> 29
        let unit = Double(hash % 10_000) / 10_000
        return base * (0.8 + 0.4 * unit)
    }
}
