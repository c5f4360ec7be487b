import Foundation
import WatcherLog
import WatcherStore

/// How long final rows and history are kept, and how gently they are deleted.
package struct RetentionPolicy: Sendable, Equatable {
    /// Rows final for longer than this are deleted with their transitions; 0 keeps them.
    package var finalRowDays: Int
    /// Transitions older than this are deleted, also of rows kept; 0 keeps them.
    package var transitionDays: Int
    /// Rows (or transitions, or pages) per transaction to start with; each batch is then resized to take about
    /// ``targetBatchSeconds``, because a waiting producer's busy handler retries after 1, 3 and 8 ms: a lock held a
    /// few milliseconds and then left free for longer is always found free within a few milliseconds.
    package var batchSize = 200
    /// How long one write transaction of the pruner should hold the lock.
    package var targetBatchSeconds = 0.004
    /// The pause between two batches: the lock is free at least this long, longer than a busy handler's next retry.
    package var pause = 0.02
    /// Seconds from start to the first pass, and between the end of one pass and the start of the next.
    package var firstPassDelay = 10.0
    package var passInterval = 600.0

    /// A policy with the default pacing.
    package init(finalRowDays: Int, transitionDays: Int) {
        self.finalRowDays = finalRowDays
        self.transitionDays = transitionDays
    }

    /// True when both periods are 0: nothing is ever deleted.
    package var keepsEverything: Bool { finalRowDays == 0 && transitionDays == 0 }
}

/// What one pass removed (or, in a dry run, would remove) and what the file looks like afterwards.
package struct PrunePass: Sendable, Equatable {
    /// Rows per resource and transitions.
    package var counts = PruneCounts()
    /// Pages handed back to the file system by incremental vacuum.
    package var freedPages = 0
    /// The database file afterwards.
    package var storage: StorageFigures?
    /// How long the pass took, pauses included.
    package var seconds = 0.0
}

/// Deletes what the retention policy says has been kept long enough, in small batches with pauses between them,
/// on its own connection, then returns the freed pages to the file system in small steps.
///
/// Old history goes first, oldest first, and then each kind's expired rows with the rest of their transitions, so
/// a dry run's counts add up to exactly what a pass deletes.
package final class RetentionPruner: Sendable {
    private let store: RetentionStore
    private let tables: [ResourceTable]
    private let policy: RetentionPolicy
    private let clock: any WatcherClock
    private let logger: Logger

    /// A pruner of the watched tables `tables` through `store`.
    package init(
        store: RetentionStore, tables: [ResourceTable], policy: RetentionPolicy, clock: any WatcherClock,
        logger: Logger
    ) {
        self.store = store
        self.tables = tables
        self.policy = policy
        self.clock = clock
        self.logger = logger
    }

    /// Closes the pruner's connection.
    package func close() { store.close() }

    /// Runs a pass after ``RetentionPolicy/firstPassDelay`` and then every ``RetentionPolicy/passInterval`` until
    /// the task is cancelled; a failed pass (the database locked for seconds, say) is logged and tried next time.
    package func run() async {
        var next = clock.monotonicNow() + policy.firstPassDelay
        while !Task.isCancelled {
            do {
                try await clock.sleep(until: next)
                _ = try await pass()
            } catch is CancellationError {
                return
            } catch {
                logger.warning("retention.failed", ["error": .string(String(describing: error))])
            }
            next = clock.monotonicNow() + policy.passInterval
        }
    }

    /// One pass; logs `retention.pruned` unless `dryRun`, which deletes nothing and counts what would go.
    package func pass(dryRun: Bool = false) async throws -> PrunePass {
        let started = clock.monotonicNow()
        let cutoffs = RetentionCutoffs(
            finalRowDays: policy.finalRowDays, transitionDays: policy.transitionDays, now: clock.wallNow())
        var result = PrunePass()
        var historyEnd: Int64 = 0
        if let before = cutoffs.transitionsBefore {
            historyEnd = try await pruneHistory(before: before, dryRun: dryRun, into: &result.counts)
        }
        if let before = cutoffs.finalRowsBefore {
            for table in tables {
                try await pruneRows(of: table, before: before, historyEnd: historyEnd, dryRun: dryRun, into: &result)
            }
        }
        if !dryRun { result.freedPages = try await vacuum() }
        result.storage = try await store.storage()
        result.seconds = clock.monotonicNow() - started
        if !dryRun { log(result) }
        return result
    }

    /// Deletes the old history batch by batch; returns the last id it covered.
    private func pruneHistory(before cutoff: Date, dryRun: Bool, into counts: inout PruneCounts) async throws -> Int64 {
        var after: Int64 = 0
        var size = BatchSize(policy)
        var batches = 0
        while let batch = try await store.oldTransitions(before: cutoff, after: after, limit: size.current) {
            if dryRun {
                counts.transitions += batch.count
            } else {
                counts.transitions += try await size.timing(clock) { try await store.deleteTransitions(batch) }
            }
            after = batch.ids.upperBound
            batches += 1
            try await pause(after: batches)
        }
        return after
    }

    private func pruneRows(
        of table: ResourceTable, before cutoff: Date, historyEnd: Int64, dryRun: Bool, into result: inout PrunePass
    ) async throws {
        var after: Int64 = 0
        var size = BatchSize(policy)
        var batches = 0
        while true {
            let rows = try await store.expiredRows(table, before: cutoff, after: after, limit: size.current)
            guard let last = rows.last else { return }
            after = last.rowID
            if dryRun {
                result.counts.rows[table.resource, default: 0] += rows.count
                result.counts.transitions += try await store.transitionCount(of: rows, of: table, above: historyEnd)
            } else {
                result.counts.add(
                    try await size.timing(clock) { try await store.delete(rows, of: table, before: cutoff) })
            }
            batches += 1
            try await pause(after: batches)
        }
    }

    /// Returns the free list to the file system a few pages at a time; returns how many pages went.
    private func vacuum() async throws -> Int {
        var storage = try await store.storage()
        guard storage.autoVacuum == "incremental" else { return 0 }
        let initial = storage.freePages
        var size = BatchSize(policy)
        var batches = 0
        while storage.freePages > 0 {
            let before = storage.freePages
            let pages = size.current
            try await size.timing(clock) { try await store.vacuumStep(pages: pages) }
            storage = try await store.storage()
            guard storage.freePages < before else { break }
            batches += 1
            try await pause(after: batches)
        }
        return initial - storage.freePages
    }

    /// Batch sizes that keep each write transaction near the policy's target duration.
    private struct BatchSize {
        private(set) var current: Int
        private let target: Double

        init(_ policy: RetentionPolicy) {
            current = policy.batchSize
            target = policy.targetBatchSeconds
        }

        /// Runs one batch and resizes the next: halved after a slow one, a quarter larger after a quick one.
        mutating func timing<T>(_ clock: any WatcherClock, _ batch: () async throws -> T) async throws -> T {
            let started = clock.monotonicNow()
            let value = try await batch()
            let seconds = clock.monotonicNow() - started
            if seconds > target {
                current = max(10, current / 2)
            } else if seconds < target / 2 {
                current = min(2_000, current + max(1, current / 4))
            }
            return value
        }
    }

    /// Between two batches. Every fourth also checkpoints, so that the log stays below SQLite's automatic threshold
    /// (1,000 pages) and no producer's commit has to copy the pruner's pages.
    private func pause(after batch: Int) async throws {
        try Task.checkCancellation()
        if batch % 4 == 0 { try await store.checkpoint() }
        if policy.pause > 0 { try await clock.sleep(until: clock.monotonicNow() + policy.pause) }
    }

    private func log(_ result: PrunePass) {
        var fields: [LogField] = [
            LogField(key: "rows", value: .int(result.counts.totalRows)),
            LogField(key: "transitions", value: .int(result.counts.transitions)),
        ]
        for table in tables {
            fields.append(LogField(key: table.resource, value: .int(result.counts.rows[table.resource] ?? 0)))
        }
        fields.append(LogField(key: "freed_pages", value: .int(result.freedPages)))
        if let storage = result.storage {
            fields.append(LogField(key: "file_bytes", value: .int(storage.fileBytes)))
        }
        fields.append(LogField(key: "seconds", value: .double((result.seconds * 10).rounded() / 10)))
        logger.log(.info, "retention.pruned", fields: fields)
    }
}
