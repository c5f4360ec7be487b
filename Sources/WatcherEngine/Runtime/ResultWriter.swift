import Foundation
import WatcherLog
import WatcherSQLite
import WatcherServices
import WatcherStore
import WatcherSync

/// Where the writer commits: the store, or a fake in tests that blocks or fails on command.
package protocol RowUpdateSink: Sendable {
    /// Writes `updates` in one transaction; one result per update, in order, and what `committed` returned, called
    /// on the writing thread the moment the transaction is committed. Throws having written nothing.
    func apply<Mark: Sendable>(
        _ updates: [RowUpdate], committed: @escaping @Sendable () -> Mark
    ) async throws -> (results: [UpdateResult], mark: Mark)
}

extension WatchStore: RowUpdateSink {}

/// Commits row updates in batches ("group commit") and keeps every update in memory until it is written.
///
/// Whoever submits waits for the commit. While one transaction runs, new updates queue up and go into the next
/// one, so the batch size follows the load with no timer. When the database is locked by a producer, full, or
/// read-only, nothing is dropped: the batch is retried with back-off and the episode logged once. Only when
/// writes have failed for `giveUpAfter` seconds for a reason other than a lock does the writer give up: ``run()``
/// throws, which stops the engine, so that the process exits and systemd restarts it.
package actor ResultWriter: Service {
    private struct Entry {
        var updates: [RowUpdate]
        var continuation: CheckedContinuation<(results: [UpdateResult], commit: Int)?, Never>
    }

    private let sink: any RowUpdateSink
    private let clock: any WatcherClock
    private let logger: Logger
    private let statistics: EngineStatistics
    private let giveUpAfter: Double
    private let maximumBatch: Int
    private var queue: [Entry] = []
    private var failure: String?
    private var stopping = false
    private var ended = false
    private let wakeup = Wakeup()
    private var troubleSince: Double?
    private var lastTroubleLog = -Double.infinity
    private let commits = Locked(0)

    package init(
        sink: any RowUpdateSink,
        clock: any WatcherClock,
        logger: Logger,
        statistics: EngineStatistics,
        giveUpAfter: Double = 120,
        maximumBatch: Int = 1_000
    ) {
        self.sink = sink
        self.clock = clock
        self.logger = logger
        self.statistics = statistics
        self.giveUpAfter = giveUpAfter
        self.maximumBatch = maximumBatch
    }

    /// Queues updates and returns once they are committed, one result per update; nil if the writer gave up on
    /// the database (or has stopped).
    package func submit(_ updates: [RowUpdate]) async -> [UpdateResult]? {
        await commit(updates)?.results
    }

    /// ``submit(_:)``, also returning the number of the transaction that wrote the updates (0 for none).
    package func commit(_ updates: [RowUpdate]) async -> (results: [UpdateResult], commit: Int)? {
        guard !updates.isEmpty else { return ([], 0) }
        guard failure == nil, !ended else { return nil }
        return await withCheckedContinuation { continuation in
            queue.append(Entry(updates: updates, continuation: continuation))
            wakeup.signal()
        }
    }

    /// The number of the last transaction committed; they are numbered 1, 2, … in order. A read of the database
    /// that starts after this returned `n` sees every update of transactions 1…`n`.
    package nonisolated var committedThrough: Int { commits.withLock { $0 } }

    /// Updates waiting to be written, for status lines.
    package var backlog: Int { queue.reduce(0) { $0 + $1.updates.count } }

    /// Commits what is submitted until stopped with an empty queue; throws ``EngineFailure`` on giving up.
    package func run() async throws {
        defer { ended = true }
        while true {
            if let failure {
                abandonAll()
                logger.error("engine.fatal", ["error": .string(failure)])
                throw EngineFailure(reason: failure)
            }
            if queue.isEmpty {
                if stopping { return }
                await wakeup.wait(until: nil, clock: clock)
                continue
            }
            let batch = takeBatch()
            do {
                // Numbered where it commits: a reader that notes ``committedThrough`` just before it reads then
                // knows which transactions it sees, even while this actor waits to resume.
                let commits = self.commits
                let (applied, commit) = try await sink.apply(batch.flatMap(\.updates)) {
                    commits.withLock { count in
                        count += 1
                        return count
                    }
                }
                recovered()
                report(applied)
                resume(batch, with: applied, commit: commit)
            } catch {
                queue.insert(contentsOf: batch, at: 0)
                await handle(error)
            }
        }
    }

    /// Ends ``run()`` once the queue is empty; called after everyone who submits has stopped.
    package func stop() {
        stopping = true
        wakeup.signal()
    }

    private func takeBatch() -> [Entry] {
        var count = 0
        var taken = 0
        while taken < queue.count, count == 0 || count + queue[taken].updates.count <= maximumBatch {
            count += queue[taken].updates.count
            taken += 1
        }
        let batch = Array(queue.prefix(taken))
        queue.removeFirst(taken)
        return batch
    }

    /// Hands each submitter the results of its own updates.
    private func resume(_ batch: [Entry], with results: [UpdateResult], commit: Int) {
        var offset = 0
        for entry in batch {
            let count = entry.updates.count
            entry.continuation.resume(returning: (Array(results[offset..<offset + count]), commit))
            offset += count
        }
    }

    private func report(_ results: [UpdateResult]) {
        for transition in results.compactMap(\.transition) {
            statistics.recordTransition(
                resource: transition.resource, merchant: transition.merchantID, to: transition.to)
            var fields = [
                LogField(key: "resource", value: .string(transition.resource)),
                LogField(key: "merchant", value: .string(transition.merchantID)),
                LogField(key: "id", value: .string(transition.resourceID)),
                LogField(key: "from", value: .string(transition.from)),
                LogField(key: "to", value: .string(transition.to)),
            ]
            if let detail = transition.detail { fields.append(LogField(key: "detail", value: .string(detail))) }
            logger.log(.info, "transition", fields: fields)
        }
    }

    private func handle(_ error: any Error) async {
        let now = clock.monotonicNow()
        let started = troubleSince ?? now
        troubleSince = started
        let busy = (error as? SQLiteError)?.isBusy ?? false
        let waited = now - started
        if now - lastTroubleLog >= 60 || waited == 0 {
            lastTroubleLog = now
            logger.log(
                busy ? .warning : .error,
                busy ? "database.busy" : "database.write_failed",
                fields: [
                    LogField(key: "error", value: .string(String(describing: error))),
                    LogField(key: "waiting_seconds", value: .int(Int(waited))),
                    LogField(key: "queued_updates", value: .int(backlog)),
                ]
            )
            statistics.recordError("database: \(error)")
        }
        if !busy, waited >= giveUpAfter {
            failure = "cannot write to the database for \(Int(waited)) s: \(error)"
            return
        }
        let pause = busy ? 0.05 : min(5, 0.25 * pow(2, min(waited, 10)))
        try? await clock.sleep(until: clock.monotonicNow() + pause)
    }

    /// Something outside the writer found the database unusable (e.g. the file was deleted): stop as after a
    /// lasting write failure, so the process exits non-zero and is restarted.
    package func fail(_ reason: String) {
        guard failure == nil else { return }
        failure = reason
        logger.error("database.unusable", ["error": .string(reason), "queued_updates": .int(backlog)])
        wakeup.signal()
    }

    private func recovered() {
        guard let since = troubleSince else { return }
        troubleSince = nil
        lastTroubleLog = -Double.infinity
        logger.info("database.available", ["after_seconds": .double((clock.monotonicNow() - since).rounded())])
    }

    private func abandonAll() {
        let entries = queue
        queue.removeAll()
        for entry in entries { entry.continuation.resume(returning: nil) }
    }
}
