import Foundation
import WatcherLog
import WatcherServices
import WatcherStore

/// Notices rows producers insert, validates them, and hands them to their lanes; sweeps rows past the deadline.
///
/// Producers notify nobody, but every commit writes the `-wal` file, and inotify reports that at once: intake then
/// checks `PRAGMA data_version` (which changes when another connection commits) and reads the new rows, so a
/// committed row is picked up as soon as it is visible, and an idle daemon does not wake to look. A commit still
/// in flight when its first write woke intake is caught by quick re-checks (``IntakePacing``); without writes it
/// checks every `idleInterval` (2 s) in case the file system does not report them.
actor Intake: Service {
    /// A row never polled is due this many seconds *before* its first sight, unless its scheduler places it
    /// (``PollScheduler/firstPlacement(_:)``): `next_poll_at` orders the queue, so such a row comes before every
    /// re-poll (the first answer also tells whether the resource exists), in arrival order among themselves, and is
    /// picked up at once however long the queue.
    static let firstPollPriority = 1e9

    private let kinds: [any ResourceKind]
    private let merchants: Set<String>
    private let lanes: [LaneKey: Lane]
    private let environment: LaneEnvironment
    private let interval: Double
    private var pacing: IntakePacing
    private let sweepInterval: Double
    private let batchSize = 500
    private var lastVersion: Int64?
    private var lastFullCheck = -Double.infinity
    private var lastSweep = -Double.infinity
    private var lastFileCheck = -Double.infinity
    private var stopping = false
    private var readFailing = false
    private var writeAheadLog = WriteAheadLogWatch()
    private var writesSeen: UInt64?
    private var writerActivitySeen: UInt64?
    /// Per resource, the last rowid whose state was checked against the states the daemon knows.
    private var statesCheckedThrough: [String: Int64] = [:]
    /// Per resource, the last merchant whose rows the whole-table look at states reached (nil: start again).
    private var statesCheckedMerchant: [String: MerchantCursor] = [:]
    /// Per resource, the last merchant whose rows the look for unscheduled active rows reached (nil: start again).
    private var unscheduledCheckedMerchant: [String: MerchantCursor] = [:]
    /// Per resource, the last merchant the look for unconfigured merchants' active rows reached (nil: start again).
    private var unconfiguredCheckedMerchant: [String: MerchantCursor] = [:]
    /// Per resource, the unconfigured merchants already reported (each once per run).
    private var unconfiguredReported: [String: Set<String>] = [:]
    /// Per resource, the rows already reported in an unknown state (each is reported once per run), by rowid and id:
    /// a row deleted and another inserted may reuse the rowid.
    private var unknownStatesReported: [String: Set<String>] = [:]
    /// The most rows remembered as reported, per resource: beyond it a row may be reported again.
    private let unknownStatesRemembered = 100_000
    nonisolated let wakeup = Wakeup()

    init(
        kinds: [any ResourceKind],
        merchants: Set<String>,
        lanes: [LaneKey: Lane],
        environment: LaneEnvironment,
        interval: Double = 0.1,
        idleInterval: Double = 2,
        sweepInterval: Double = 30
    ) {
        self.kinds = kinds
        self.merchants = merchants
        self.lanes = lanes
        self.environment = environment
        self.interval = interval
        self.pacing = IntakePacing(interval: interval, idleInterval: idleInterval)
        self.sweepInterval = sweepInterval
    }

    func stop() {
        stopping = true
        wakeup.signal()
    }

    func run() async {
        let wakeup = self.wakeup
        let writes = DatabaseWriteWatch(path: environment.store.path + "-wal") { wakeup.signal() }
        while !stopping {
            let now = environment.clock.monotonicNow()
            // Taken before the check: writes reported while it runs call for another.
            let newWrites = noteWrites(writes)
            let writerActivity = environment.store.writerActivityCount
            let ownWrites = writerActivity != writerActivitySeen
            writerActivitySeen = writerActivity
            var versionMoved = false
            do {
                versionMoved = try await checkForNewRows(now: now)
                if now - lastSweep >= sweepInterval {
                    lastSweep = now
                    try await sweepExpired()
                    for kind in kinds {
                        try await reportUnknownStatesAcrossTable(kind)
                        try await admitUnscheduledActiveRows(kind)
                        try await reportUnconfiguredMerchants(kind)
                    }
                }
                if now - lastFileCheck >= 2 {
                    lastFileCheck = now
                    if let problem = environment.store.fileProblem() { await environment.writer.fail(problem) }
                    noteWriteAheadLog()
                }
                if readFailing {
                    readFailing = false
                    environment.logger.info("database.readable")
                }
            } catch {
                if !readFailing {
                    readFailing = true
                    environment.logger.error("database.read_failed", ["error": .string(String(describing: error))])
                    environment.statistics.recordError("database read: \(error)")
                }
                await environment.failIfIndexMissing(error)
            }
            if !readFailing { environment.statistics.markProgress() }
            let pause = pacing.pause(
                newWrites: newWrites, versionMoved: versionMoved, ownWrites: ownWrites,
                watched: writes?.isArmed ?? false)
            // A burst of commits (the writer's own, under load) is already spaced by the write watch's rest.
            await wakeup.wait(until: now + (readFailing ? interval : pause), clock: environment.clock)
        }
    }

    /// Logs when the `-wal` file grew far past its normal size, and when it is back.
    private func noteWriteAheadLog() {
        let bytes = environment.store.writeAheadLogBytes
        switch writeAheadLog.observe(bytes: bytes) {
        case .grew(let size):
            environment.logger.warning(
                "database.wal_growing",
                [
                    "wal_bytes": .int(size),
                    "hint": .string(
                        "checkpoints cannot copy the -wal file into the database: a connection has held a read "
                            + "transaction open (a sqlite3 shell after BEGIN, a script that never commits); the file "
                            + "grows until it ends"),
                ])
        case .shrank(let size):
            environment.logger.info("database.wal_shrank", ["wal_bytes": .int(size)])
        case nil:
            break
        }
    }

    /// True when the write watch reported writes since the last call (re-arming it first if it was lost).
    private func noteWrites(_ writes: DatabaseWriteWatch?) -> Bool {
        guard let writes else { return false }
        writes.rearm()
        let events = writes.events
        defer { writesSeen = events }
        return events != writesSeen
    }

    /// One pass over every kind's new rows, when the data version moved (or once a second as a safety net:
    /// a producer's connection may have committed before ours opened); true when it moved.
    private func checkForNewRows(now: Double) async throws -> Bool {
        let version = try await environment.store.dataVersion()
        let moved = version != lastVersion
        guard moved || now - lastFullCheck >= 1 else { return false }
        lastVersion = version
        lastFullCheck = now
        for kind in kinds {
            while !stopping {
                let rows = try await environment.store.newRows(kind.table, limit: batchSize)
                if rows.isEmpty { break }
                await admit(rows, kind: kind)
                if rows.count < batchSize { break }
            }
            try await reportUnknownStates(kind)
        }
        return moved
    }

    /// A row whose state is none the daemon knows (a producer's `pending`) is neither watched nor final: says so
    /// once per row and run, looking only at rows inserted since the last look (all of them at start).
    private func reportUnknownStates(_ kind: any ResourceKind) async throws {
        let after = statesCheckedThrough[kind.resource] ?? 0
        let (rows, through) = try await environment.store.rowsInUnknownStates(
            kind.table, known: knownStates(kind), after: after)
        statesCheckedThrough[kind.resource] = through
        for row in rows { warnUnknownState(row, kind: kind) }
    }

    /// The same for rows a producer updated into such a state (a look at new rowids never sees them): part of the
    /// table's merchants at each sweep, all of them in turn.
    private func reportUnknownStatesAcrossTable(_ kind: any ResourceKind) async throws {
        let (rows, lastMerchant) = try await environment.store.rowsInUnknownStatesAcrossTable(
            kind.table, known: knownStates(kind), afterMerchant: statesCheckedMerchant[kind.resource])
        statesCheckedMerchant[kind.resource] = lastMerchant
        for row in rows { warnUnknownState(row, kind: kind) }
    }

    /// Rows a producer inserted (or updated) in an active state other than `PENDING` with no `next_poll_at`, which
    /// the look at new rows never sees: admitted like new rows, keeping their state; part of the table's merchants
    /// at each sweep, all of them in turn.
    private func admitUnscheduledActiveRows(_ kind: any ResourceKind) async throws {
        let (rows, lastMerchant) = try await environment.store.unscheduledActiveRows(
            kind.table, afterMerchant: unscheduledCheckedMerchant[kind.resource], limit: batchSize)
        unscheduledCheckedMerchant[kind.resource] = lastMerchant
        guard !rows.isEmpty else { return }
        environment.logger.info(
            "rows.admitted_in_active_state",
            ["resource": .string(kind.resource), "rows": .int(rows.count)])
        await admit(rows, kind: kind)
    }

    /// The most active rows counted per unconfigured merchant: a count is a range of the due index, bounded.
    static let countedRowsLimit = 10_000

    /// Active rows of a merchant the configuration does not name are polled by no lane (a merchant removed from
    /// the configuration, or rows a producer scheduled itself by setting `next_poll_at`): says so once per merchant
    /// and run, so they are not waited on in silence; they are kept as they are for the merchant to be configured
    /// again. Part of the table's merchants at each sweep, all of them in turn.
    private func reportUnconfiguredMerchants(_ kind: any ResourceKind) async throws {
        let (found, lastMerchant) = try await environment.store.unconfiguredMerchantsWithActiveRows(
            kind.table, configured: merchants, afterMerchant: unconfiguredCheckedMerchant[kind.resource],
            countLimit: Self.countedRowsLimit)
        unconfiguredCheckedMerchant[kind.resource] = lastMerchant
        for (merchant, count) in found where !unconfiguredReported[kind.resource, default: []].contains(merchant) {
            unconfiguredReported[kind.resource, default: []].insert(merchant)
            environment.logger.warning(
                "rows.merchant_not_configured",
                [
                    "resource": .string(kind.resource),
                    "merchant": .string(RowValidation.shortened(merchant)),
                    "active_rows": .string(count >= Self.countedRowsLimit ? "at least \(count)" : String(count)),
                    "error": .string(
                        "merchant_id \(RowValidation.quoted(merchant)) is not a configured merchant, so no lane polls "
                            + "these rows; they are kept as they are until the merchant is configured again (and the "
                            + "daemon restarted) or they are deleted"),
                ]
            )
        }
    }

    private func knownStates(_ kind: any ResourceKind) -> [String] {
        Set(kind.table.activeStates).union(kind.finalStates).union([LocalState.rejected, LocalState.expired]).sorted()
    }

    private func warnUnknownState(_ row: UnknownStateRow, kind: any ResourceKind) {
        var reported = unknownStatesReported[kind.resource, default: []]
        let key = "\(row.rowID)/\(row.resourceID)"
        guard !reported.contains(key) else { return }
        if reported.count >= unknownStatesRemembered { reported.removeAll() }
        reported.insert(key)
        unknownStatesReported[kind.resource] = reported
        environment.logger.warning(
            "row.unknown_state",
            [
                "resource": .string(kind.resource),
                "merchant": .string(RowValidation.shortened(row.merchantID)),
                "id": .string(RowValidation.shortened(row.resourceID)),
                "state": .string(RowValidation.shortened(row.state)),
                "error": .string(
                    "state \(RowValidation.quoted(row.state)) is none the watcher knows, so the row is neither "
                        + "watched nor final; a producer inserts \(LocalState.pending) (the default) to have it watched"
                ),
            ]
        )
    }

    /// Validates new rows: valid ones become due now or where their scheduler places them, invalid ones `REJECTED`
    /// with the reason.
    private func admit(_ rows: [QueuedRow], kind: any ResourceKind) async {
        let now = environment.clock.wallNow()
        let problems = rows.map { RowValidation.problem(with: $0, kind: kind, merchants: merchants) }
        var placements: [Int64: Placement] = [:]
        let valid = Dictionary(grouping: zip(rows, problems).filter { $0.1 == nil }.map(\.0), by: \.merchantID)
        for (merchant, arriving) in valid {
            guard let lane = lanes[LaneKey(merchant: merchant, resource: kind.resource)] else { continue }
            placements.merge(await lane.firstPlacements(for: arriving, at: now)) { first, _ in first }
        }
        var updates: [RowUpdate] = []
        for (row, problem) in zip(rows, problems) {
            var update = RowUpdate(row: row, table: kind.table, at: now)
            if let problem {
                update.reject(problem)
                environment.logger.warning(
                    "row.rejected",
                    [
                        "resource": .string(kind.resource),
                        "merchant": .string(RowValidation.shortened(row.merchantID)),
                        "id": .string(RowValidation.shortened(row.resourceID)), "error": .string(problem.description),
                    ]
                )
            } else {
                let due = placements[row.rowID]?.dueAt ?? now.timeIntervalSince1970 - Intake.firstPollPriority
                update.nextPollAt = .set(due)
                // A watch starts afresh: a row watched again keeps nothing of its previous watch's failures.
                update.firstSeenAt = now.timeIntervalSince1970
                update.error = .clear
                update.failureCount = 0
                update.notFoundSince = .clear
            }
            updates.append(update)
        }
        guard let (results, commit) = await environment.writer.commit(updates) else { return }
        // Handed over only once committed: the lane then holds what a restart would read, in arrival order.
        var arrived: [String: [QueuedRow]] = [:]
        for (row, (update, result)) in zip(rows, zip(updates, results)) where result.isApplied {
            if let admitted = row.applying(update) { arrived[row.merchantID, default: []].append(admitted) }
        }
        for (merchant, rows) in arrived {
            let earlyBy = rows.map { placements[$0.rowID]?.earlyBy ?? 0 }
            await lanes[LaneKey(merchant: merchant, resource: kind.resource)]?.rowsArrived(
                rows, earlyBy: earlyBy, committedIn: commit)
        }
    }

    /// Rows past the deadline that their lane has not reached (e.g. merchant paused): `EXPIRED`.
    private func sweepExpired() async throws {
        let deadline = environment.policy.settings.deadline
        let cutoff = environment.clock.wallNow().addingTimeInterval(-deadline)
        for kind in kinds {
            let rows = try await environment.store.rowsCreatedBefore(kind.table, cutoff: cutoff, limit: batchSize)
            guard !rows.isEmpty else { continue }
            let now = environment.clock.wallNow()
            let updates = rows.map { row in
                var update = RowUpdate(row: row, table: kind.table, at: now)
                Expiry.end(&update, state: row.state, deadline: deadline)
                return update
            }
            guard let (results, commit) = await environment.writer.commit(updates) else { continue }
            // The lanes' windows held these rows, and their pending counts those intake had admitted.
            var ended: [String: Int] = [:]
            for (row, result) in zip(rows, results) where result.isApplied {
                ended[row.merchantID, default: 0] += row.nextPollAt == nil ? 0 : 1
            }
            for (merchant, count) in ended {
                await lanes[LaneKey(merchant: merchant, resource: kind.resource)]?.rowsEnded(count, committedIn: commit)
            }
        }
    }
}
