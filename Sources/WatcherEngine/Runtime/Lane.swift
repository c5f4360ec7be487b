import Foundation
import WatcherLog
import WatcherSQLite
import WatcherServices
import WatcherStore
import WeChatPay

/// Everything a lane shares with the rest of the engine.
struct LaneEnvironment: Sendable {
    var store: WatchStore
    var writer: ResultWriter
    var scheduler: any PollScheduler
    var policy: AnswerPolicy
    var clock: any WatcherClock
    var logger: Logger
    var statistics: EngineStatistics

    /// A read that failed for want of an index the queue reads through can never succeed again, and the rows it
    /// serves would wait unpolled without end: the engine stops, and the start that follows builds the index again.
    func failIfIndexMissing(_ error: any Error) async {
        guard let index = (error as? SQLiteError)?.missingIndex else { return }
        await writer.fail(
            "the index \(index) of \(store.path) was dropped while the watcher ran; the next start builds it again")
    }
}

/// One merchant and one resource kind: one API, one rate-limit bucket, one loop.
///
/// The database is the priority queue. The lane keeps a window of the next `window` rows in poll order
/// (`candidates`), spends each limiter permit on the first due one, and after the answer is committed puts the
/// row back into the window at its new place — so in the steady state it reads the database only when the
/// window runs dry, when intake reports new rows, or every few seconds as a safety net. The safety net runs only
/// when something may have changed the rows: an answer or new rows of this lane, or a commit by another connection
/// than the daemon's writer. The count of pending rows follows the lane's own changes (``PendingCount``).
actor Lane {
    let key: LaneKey
    private let kind: any ResourceKind
    private let client: WeChatPayClient
    private let gate: MerchantGate
    /// This lane's own pause, for rejecting codes that are the merchant's problem on this API.
    private let laneGate: MerchantGate
    /// One probe at a time while the API gives no answers at all.
    private let outage: OutageBreaker
    private var rejections = RejectionJudge()
    private let environment: LaneEnvironment
    private let windowSize: Int
    private let logger: Logger
    /// The lane's merchant, as row validation takes it.
    private let ownMerchant: Set<String>
    private var limiter: RateLimiter
    private var candidates: DueQueue
    private var inFlight: Set<Int64> = []
    private var refreshRequested = true
    private var refreshing = false
    /// The last transaction of the writer that the window's latest read saw.
    private var readThrough = 0
    private var lastRefresh = -Double.infinity
    private var pending = PendingCount()
    /// When the pending count and the oldest row's age were last published; the lane's changes since.
    private var lastSummary = -Double.infinity
    private var changedSinceSummary = true
    private var summarizing = false
    /// This lane's own changes since the last refresh.
    private var changedSinceRefresh = true
    /// ``WatchStore/foreignVersion`` as of the last refresh.
    private var foreignVersionRefreshed: Int64?
    private var stopping = false
    /// No request leaves before this monotonic time (``EngineSettings/startHold``).
    private let sendsFrom: Double
    nonisolated let wakeup = Wakeup()

    private static let refreshInterval = 2.0
    private static let summaryInterval = 5.0

    init(
        kind: any ResourceKind, client: WeChatPayClient, gate: MerchantGate, limiter: RateLimiter,
        environment: LaneEnvironment, sendsFrom: Double = -.infinity
    ) {
        self.sendsFrom = sendsFrom
        self.key = LaneKey(merchant: client.merchantID, resource: kind.resource)
        self.kind = kind
        self.client = client
        self.gate = gate
        self.laneGate = MerchantGate(merchantID: client.merchantID, basePause: 5, maximumPause: 300)
        self.outage = OutageBreaker(merchantID: client.merchantID)
        self.limiter = limiter
        self.environment = environment
        self.windowSize = DueQueue.window(rate: limiter.limit)
        self.candidates = DueQueue(capacity: windowSize)
        self.ownMerchant = [client.merchantID]
        self.logger = environment.logger.with([
            "merchant": .string(client.merchantID), "resource": .string(kind.resource),
        ])
    }

    /// What the loop does next.
    private enum Action {
        case poll(QueuedRow, RateLimiter.Permit, lateness: Double)
        case expire(QueuedRow)
        /// Ends the watch of a row the daemon cannot poll (a producer scheduled it itself, so intake never checked it).
        case reject(QueuedRow, RowProblem)
        /// Publishes the pending count and the oldest row's age, counting the rows again when `full`.
        case summarize(full: Bool)
        case wait(until: Double?)
        case stop
    }

    /// Runs until ``stop()``, then waits for the polls in flight and their commits.
    func run() async {
        await withDiscardingTaskGroup { group in
            while true {
                switch await nextAction() {
                case .poll(let row, let permit, let lateness):
                    group.addTask { await self.poll(row, permit: permit, lateness: lateness) }
                case .expire(let row):
                    group.addTask { await self.expire(row) }
                case .reject(let row, let problem):
                    group.addTask { await self.reject(row, problem) }
                case .summarize(let full):
                    // Off the polling path: a count over a million rows must not delay the next poll.
                    group.addTask { await self.summarize(full: full) }
                case .wait(let deadline):
                    await wakeup.wait(until: deadline, clock: environment.clock)
                case .stop:
                    return
                }
            }
        }
        await summarize(full: false)
    }

    /// Stops starting polls; polls in flight finish.
    func stop() {
        stopping = true
        wakeup.signal()
    }

    /// `count` rows of this lane ended in the database behind its window, in the writer's transaction `commit` (the
    /// deadline sweep expired them): read it again.
    func rowsEnded(_ count: Int, committedIn commit: Int) {
        refreshRequested = true
        pending.changed(by: -count, committedIn: commit)
        changedSinceSummary = true
        wakeup.signal()
    }

    /// Where the scheduler places these new rows of the lane, arriving together at `now`, by row id; a row it does
    /// not place is polled at once, before every re-poll.
    func firstPlacements(for rows: [QueuedRow], at now: Date) -> [Int64: Placement] {
        var placements: [Int64: Placement] = [:]
        for row in rows {
            var context = scheduleContext(for: row, lateness: 0)
            context.now = now.timeIntervalSince1970
            context.pendingInLane += rows.count
            if let placement = environment.scheduler.firstPlacement(context) { placements[row.rowID] = placement }
        }
        return placements
    }

    /// New rows of this lane, as intake committed them in transaction `commit`: they join the window at their
    /// place in due order without a read of the database, each free to take a token no due row wants from
    /// `earlyBy` seconds (by index) before its due time. When the window was read after that commit, it already
    /// knew them (and may have polled them since): nothing to add.
    func rowsArrived(_ rows: [QueuedRow], earlyBy: [Double] = [], committedIn commit: Int) {
        pending.changed(by: rows.count, committedIn: commit)
        changedSinceSummary = true
        guard readThrough < commit else { return }
        for (index, row) in rows.enumerated()
        where !inFlight.contains(row.rowID) && !candidates.rows.contains(where: { $0.rowID == row.rowID }) {
            candidates.insert(row, earlyBy: index < earlyBy.count ? earlyBy[index] : 0)
        }
        // A read under way may have started before the commit, and would replace the window without them.
        if refreshing { refreshRequested = true }
        wakeup.signal()
    }

    private func nextAction() async -> Action {
        if stopping { return .stop }
        let now = environment.clock.monotonicNow()
        if let until = gate.admission(now: now) ?? laneGate.admission(now: now) ?? outage.admission(now: now) {
            return .wait(until: until)
        }
        if let change = limiter.recover(now: now) { log(change) }
        let foreignVersion = environment.store.foreignVersion
        let safetyRefresh =
            now - lastRefresh >= Self.refreshInterval
            && (changedSinceRefresh || foreignVersion != foreignVersionRefreshed)
        if refreshRequested || safetyRefresh || (candidates.rows.isEmpty && !candidates.isComplete) {
            // Again when a commit or new rows came while it read: the rows it read may be stale (a row answered
            // meanwhile would be polled twice).
            repeat {
                await refresh(now: now)
                if stopping { return .stop }
            } while refreshRequested
        }
        if !summarizing, pending.isDue(now: now, foreignVersion: foreignVersion) {
            return startSummary(now: now, full: true)
        }
        if !summarizing, changedSinceSummary, now - lastSummary >= Self.summaryInterval {
            return startSummary(now: now, full: false)
        }
        let wallNow = environment.clock.wallNow().timeIntervalSince1970
        switch candidates.choose(now: wallNow, deadline: environment.policy.settings.deadline) {
        case .wait(let due):
            let wake = due.map { now + ($0 - wallNow) } ?? .infinity
            return .wait(until: min(wake, now + Self.refreshInterval))
        case .expire(let index):
            return .expire(take(index))
        case .poll(let index, let lateness):
            // Intake checks the rows it admits; a row a producer scheduled itself reaches the lane unchecked.
            if let problem = RowValidation.problem(with: candidates.rows[index], kind: kind, merchants: ownMerchant) {
                return .reject(take(index), problem)
            }
            if now < sendsFrom { return .wait(until: sendsFrom) }
            guard let earliest = limiter.earliestIssue(now: now) else { return .wait(until: nil) }
            if earliest > now { return .wait(until: earliest) }
            // The probes (after an outage, a rejecting code or a 401) are claimed only now that a request really
            // leaves; a claim is given back when a later one fails and the request does not leave.
            guard outage.claim(now: now) else { return .wait(until: outage.admission(now: now) ?? now + 0.05) }
            guard laneGate.claim(now: now) else {
                outage.release()
                return .wait(until: laneGate.admission(now: now) ?? now + 0.05)
            }
            guard gate.claim(now: now) else {
                laneGate.requestFailed()
                outage.release()
                return .wait(until: gate.admission(now: now) ?? now + 0.05)
            }
            return .poll(take(index), limiter.issue(now: now), lateness: max(0, lateness))
        }
    }

    private func take(_ index: Int) -> QueuedRow {
        let row = candidates.remove(at: index)
        inFlight.insert(row.rowID)
        return row
    }

    private func refresh(now: Double) async {
        refreshRequested = false
        lastRefresh = now
        refreshing = true
        defer { refreshing = false }
        // Taken before the read: a change made while it runs is seen by the next one.
        let foreignVersion = environment.store.foreignVersion
        changedSinceRefresh = false
        foreignVersionRefreshed = foreignVersion
        do {
            let seen = environment.writer.committedThrough
            let fetched = try await environment.store.upcomingRows(
                kind.table, merchant: key.merchant, limit: windowSize + inFlight.count)
            candidates.replace(with: fetched, limit: windowSize + inFlight.count, inFlight: inFlight)
            readThrough = max(readThrough, seen)
        } catch {
            logger.error("database.read_failed", ["error": .string(String(describing: error))])
            environment.statistics.recordError("database read: \(error)")
            await environment.failIfIndexMissing(error)
        }
    }

    private func startSummary(now: Double, full: Bool) -> Action {
        lastSummary = now
        changedSinceSummary = false
        summarizing = true
        return .summarize(full: full)
    }

    /// Publishes the rows still watched and the oldest one's age, for the scheduler and the status line; counts
    /// them first when `full` (``PendingCount`` has started the count).
    private func summarize(full: Bool) async {
        defer { summarizing = false }
        let oldest: Double?
        do {
            if full {
                pending.started(now: environment.clock.monotonicNow(), foreignVersion: environment.store.foreignVersion)
                let writer = environment.writer
                let (summary, through, seenAtMost) = try await environment.store.activeSummary(
                    kind.table, merchant: key.merchant, marking: { writer.committedThrough })
                pending.finished(count: summary.count, through: through, seenAtMost: seenAtMost)
                oldest = summary.oldestCreatedAt
            } else {
                oldest = try await environment.store.oldestActiveCreatedAt(kind.table, merchant: key.merchant)
            }
        } catch {
            if full { pending.finished(count: nil) }
            return
        }
        let count = pending.value
        let rate = limiter.rate
        environment.statistics.update(key) {
            $0.pending = count
            $0.oldestPendingCreatedAt = oldest
            $0.rate = rate
        }
    }

    // MARK: One poll

    private nonisolated func poll(_ row: QueuedRow, permit: RateLimiter.Permit, lateness: Double) async {
        let exchange = await client.send(kind.request(for: row))
        let (update, earlyBy) = await settle(row, exchange: exchange, permit: permit, lateness: lateness)
        let written = await environment.writer.commit([update])
        await committed(
            row, update: update, result: written?.results.first, commit: written?.commit ?? 0, earlyBy: earlyBy)
    }

    /// Everything an answer changes in the lane, in one visit to the actor: the scheduler's context, the judge's
    /// verdict, the decision, the limiter and gates; returns the row's update to commit and how much before its next
    /// due time the row may be polled when nothing is due.
    private func settle(_ row: QueuedRow, exchange: APIExchange, permit: RateLimiter.Permit, lateness: Double)
        -> (RowUpdate, earlyBy: Double)
    {
        let context = scheduleContext(for: row, lateness: lateness)
        let rejection = judge(exchange, row: row)
        // The scheduler is asked only for a row still unfinished, and only then may the row be polled early.
        var placement: Placement?
        let scheduler = environment.scheduler
        func place() -> Double {
            let placed = scheduler.placement(context)
            placement = placed
            return placed.dueAt
        }
        let decision = environment.policy.decide(
            exchange,
            row: row,
            kind: kind,
            now: environment.clock.wallNow(),
            nextPoll: place(),
            rejection: rejection
        )
        let believed = Self.isBelieved(exchange, decision: decision)
        if believed { rejections.succeeded(brand: row.brandID, now: environment.clock.monotonicNow()) }
        answered(row, permit: permit, exchange: exchange, decision: decision, believed: believed)
        if let age = decision.completedAge {
            environment.scheduler.recordCompletion(
                merchant: key.merchant, resource: key.resource, cohort: context.cohort, age: age,
                unfinishedAtAge: Self.unfinishedAge(of: row))
        }
        // Early only when the policy kept the scheduler's time (not a back-off or the minimum interval's floor).
        guard let placement, case .set(let next) = decision.update.nextPollAt, next == placement.dueAt else {
            return (decision.update, 0)
        }
        return (decision.update, placement.earlyBy)
    }

    /// The age at which this watch of `row` last found it unfinished: its last believed answer, if that came in
    /// this watch (a row watched again keeps the time of its previous watch's last poll).
    static func unfinishedAge(of row: QueuedRow) -> Double? {
        guard let polled = row.lastPolledAt, let started = row.startedAt, polled >= (row.firstSeenAt ?? polled)
        else { return nil }
        return polled - started
    }

    private nonisolated func expire(_ row: QueuedRow) async {
        var update = RowUpdate(row: row, table: kind.table, at: environment.clock.wallNow())
        Expiry.end(&update, state: row.state, deadline: environment.policy.settings.deadline)
        let written = await environment.writer.commit([update])
        await committed(row, update: update, result: written?.results.first, commit: written?.commit ?? 0)
    }

    private nonisolated func reject(_ row: QueuedRow, _ problem: RowProblem) async {
        var update = RowUpdate(row: row, table: kind.table, at: environment.clock.wallNow())
        update.reject(problem)
        logger.warning(
            "row.rejected",
            ["id": .string(RowValidation.shortened(row.resourceID)), "error": .string(problem.description)])
        let written = await environment.writer.commit([update])
        await committed(row, update: update, result: written?.results.first, commit: written?.commit ?? 0)
    }

    /// A verified answer the kind could read as a state: the only answer that shows the merchant can use the API.
    private static func isBelieved(_ exchange: APIExchange, decision: PollDecision) -> Bool {
        guard case .verified = exchange.outcome else { return false }
        return !decision.isAnomaly
    }

    /// The judge's verdict for a rejecting code (believed answers are told to it once decided).
    private func judge(_ exchange: APIExchange, row: QueuedRow) -> RejectionJudge.Verdict? {
        let now = environment.clock.monotonicNow()
        switch exchange.outcome {
        case .errorAnswer(_, let error?, _) where RejectionJudge.rejectingCodes.contains(error.code):
            let verdict = rejections.rejected(
                code: error.code, brand: row.brandID, rowID: row.rowID, now: now, lanePaused: laneGate.isPaused)
            if verdict == .reject { rejections.forget(rowID: row.rowID) }
            return verdict
        default:
            return nil
        }
    }

    private func scheduleContext(for row: QueuedRow, lateness: Double) -> ScheduleContext {
        ScheduleContext(
            now: environment.clock.wallNow().timeIntervalSince1970,
            row: row,
            cohort: kind.cohort(of: row),
            pendingInLane: max(pending.value, candidates.rows.count + inFlight.count),
            ratePerSecond: limiter.rate,
            resource: kind.resource,
            utilisation: limiter.utilisation(now: environment.clock.monotonicNow()),
            lateness: lateness
        )
    }

    /// Accounts for an answer: limiter, outage breaker, merchant gate, counters, the poll's log line; `believed`
    /// when it is a verified answer the kind could read.
    private func answered(
        _ row: QueuedRow, permit: RateLimiter.Permit, exchange: APIExchange, decision: PollDecision, believed: Bool
    ) {
        // The lane's own clock, read now, is at or after the moment the answer arrived: a conservative bound on
        // when the request reached the server, in the same time base as the permit.
        let now = environment.clock.monotonicNow()
        limiter.complete(permit, at: now)
        wakeup.signal()
        record(exchange.outcome, isAnomaly: decision.isAnomaly)
        if OutageBreaker.isUnavailable(exchange.outcome) {
            let reason = Self.unavailableReason(exchange.outcome)
            logOutage(outage.unavailable(rowID: row.rowID, now: now, sentAt: permit.issuedAt, reason: reason))
        } else {
            logOutage(outage.answered(now: now))
        }
        switch (exchange.outcome, decision.signal) {
        case (.failed, _): gate.requestFailed()
        case (_, .signatureRejected): break
        default: logGate(gate.answered())
        }
        switch (exchange.outcome, decision.signal) {
        case (.failed, _), (_, .signatureRejected): laneGate.requestFailed()
        case (_, .merchantWideError(let code, let message, let requestID)):
            let reason = "\(code) \(message)" + (requestID.map { " (Request-ID \($0))" } ?? "")
            if let event = laneGate.merchantWideError(now: now, sentAt: permit.issuedAt, reason: reason) {
                logLanePause(event, code: code, message: message, requestID: requestID)
            }
        default:
            // Only a believed answer shows the merchant can use the API again; a 429, a 5xx or a row's own error
            // ends the probe and the pause stays.
            guard believed else {
                laneGate.requestFailed()
                break
            }
            if let event = laneGate.answered() {
                rejections.resumed()
                logLanePause(event, code: nil, message: nil, requestID: nil)
            }
        }
        switch decision.signal {
        case .none: break
        case .throttled:
            if let change = limiter.recordThrottled(permit, now: now) { log(change) }
        case .signatureRejected(let reason):
            logGate(gate.signatureRejected(now: now, sentAt: permit.issuedAt, reason: reason))
        case .verificationFailed:
            logGate(gate.verificationFailed(now: now))
        case .merchantWideError:
            break  // the lane's own gate took it above
        }
        if let event = decision.event {
            // The decision's fields already name the merchant and resource.
            environment.logger.log(event.level, event.name, fields: event.fields)
            if event.level >= .warning {
                environment.statistics.recordError(
                    event.fields.first { $0.key == "error" }.map { "\($0.value)" } ?? event.name)
            }
        }
    }

    private func record(_ outcome: APIOutcome, isAnomaly: Bool) {
        let rate = limiter.rate
        environment.statistics.update(key) { counters in
            counters.requests += 1
            counters.rate = rate
            if isAnomaly { counters.anomalies += 1 }
            switch outcome {
            case .verified(let status, _):
                counters.outcomes[String(status), default: 0] += 1
            case .errorAnswer(let status, _, _):
                counters.outcomes[String(status), default: 0] += 1
                if status == 429 { counters.throttled += 1 }
            case .unverified(_, let status):
                counters.outcomes[String(status), default: 0] += 1
                counters.verificationFailures += 1
            case .failed(let failure):
                counters.outcomes[failure.kind, default: 0] += 1
                counters.transportFailures += 1
            }
        }
    }

    /// The row's update is committed in the writer's transaction `commit` (or abandoned): it leaves flight and, if
    /// still watched, re-enters the window.
    private func committed(
        _ row: QueuedRow, update: RowUpdate, result: UpdateResult?, commit: Int, earlyBy: Double = 0
    ) {
        inFlight.remove(row.rowID)
        changedSinceRefresh = true
        changedSinceSummary = true
        // A read under way may have started before the commit, and would put the row back as it was.
        if refreshing { refreshRequested = true }
        if update.isTerminal { rejections.forget(rowID: row.rowID) }
        defer { wakeup.signal() }
        guard let result, result.isApplied else {
            refreshRequested = true
            return
        }
        if update.isTerminal { pending.changed(by: -1, committedIn: commit) }
        guard !update.isTerminal, let next = row.applying(update) else { return }
        candidates.insert(next, earlyBy: earlyBy)
    }

    // MARK: Logging

    private func log(_ change: RateLimiter.Change) {
        switch change {
        case .reduced(let from, let to, let pause):
            logger.warning(
                "rate.reduced",
                [
                    "from": .double(from.rounded(toPlaces: 2)), "to": .double(to.rounded(toPlaces: 2)),
                    "pause_seconds": .double(pause),
                ]
            )
        case .recovered(let from, let to):
            logger.info(
                "rate.recovered", ["from": .double(from.rounded(toPlaces: 2)), "to": .double(to.rounded(toPlaces: 2))])
        }
    }

    private static func unavailableReason(_ outcome: APIOutcome) -> String {
        switch outcome {
        case .failed(let failure): failure.description
        case .errorAnswer(let status, let error, let excerpt):
            "HTTP \(status)" + (error.map { " \($0.code): \($0.message)" } ?? (excerpt.isEmpty ? "" : " \(excerpt)"))
        default: "no usable answer"
        }
    }

    private func logOutage(_ event: OutageBreaker.Event?) {
        switch event {
        case .opened(let failures, let seconds, let reason):
            logger.error(
                "lane.unavailable",
                [
                    "failures_in_a_row": .int(failures), "reason": .string(reason),
                    "probe_in_seconds": .double(seconds),
                    "hint":
                        "WeChat Pay, or the network, proxy or TLS path to it, gives no answer: one request at a time probes it, at most \(Int(OutageBreaker.maximumPause)) s apart, until one is answered; rows keep their state",
                ]
            )
            environment.statistics.recordError("merchant \(key.merchant) \(key.resource) unavailable: \(reason)")
        case .closed(let seconds):
            logger.info("lane.available", ["down_seconds": .double(seconds.rounded(toPlaces: 1))])
        case nil:
            break
        }
    }

    private func logLanePause(_ event: MerchantGate.Event, code: String?, message: String?, requestID: String?) {
        switch event {
        case .paused(let seconds, let attempt, let reason):
            logger.error(
                "lane.paused",
                [
                    "code": .string(code ?? ""), "message": .string(message ?? ""),
                    "request_id": .string(requestID ?? ""), "probe_in_seconds": .int(Int(seconds)),
                    "attempt": .int(attempt),
                    "hint":
                        "rows of several brands, or many rows, got the same error while no row got an answer: the merchant lacks a permission or setting for this API; rows keep their state and one request probes until a row gets an answer",
                ]
            )
            environment.statistics.recordError("merchant \(key.merchant) \(key.resource) paused: \(reason)")
        case .resumed:
            logger.info("lane.resumed")
        default:
            break
        }
    }

    private func logGate(_ event: MerchantGate.Event?) {
        guard let event else { return }
        switch event {
        case .confirming(let seconds, let reason):
            logger.warning(
                "merchant.signature_rejected",
                [
                    "reason": .string(reason), "confirm_in_seconds": .double(seconds),
                    "hint": "one 401; confirming with a freshly signed request before pausing the merchant",
                ]
            )
        case .paused(let seconds, let attempt, let reason):
            logger.error(
                "merchant.paused",
                [
                    "reason": .string(reason), "retry_in_seconds": .int(Int(seconds)), "attempt": .int(attempt),
                    "hint":
                        "WeChat Pay rejected our signature: check mchid, certificate_serial, the private key and this machine's clock",
                ]
            )
            environment.statistics.recordError("merchant \(key.merchant) paused: \(reason)")
        case .resumed:
            logger.info("merchant.resumed")
        case .verificationAlarm(let failures):
            logger.error(
                "merchant.verification_alarm",
                [
                    "failures_last_minute": .int(failures),
                    "hint":
                        "answers keep failing verification: the answer.unverified reason says why (a wrong wechatpay_public_key_file/_id, a platform certificate not held, a clock off by minutes), or someone in the middle",
                ]
            )
            environment.statistics.recordError(
                "merchant \(key.merchant): \(failures) verification failures in a minute")
        }
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}
