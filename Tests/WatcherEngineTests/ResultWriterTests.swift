import Foundation
import ImageGenerationTasks
import Testing
import WatcherEngine
import WatcherLog
import WatcherSQLite
import WatcherStore
import WatcherSync
import WatcherTestSupport

/// A store stand-in that records each transaction, can hold one until a latch opens, and fails on command.
final class RecordingSink: RowUpdateSink {
    private struct State {
        var batches: [[String]] = []
        var failures: [any Error] = []
        var holdFirst: Latch?
        var holdAfterCommit: Latch?
    }

    private let state = Locked(State())

    init(
        holdingTheFirstBatchUntil latch: Latch? = nil, holdingAfterCommitUntil afterCommit: Latch? = nil,
        failing failures: [any Error] = []
    ) {
        state.withLock {
            $0.holdFirst = latch
            $0.holdAfterCommit = afterCommit
            $0.failures = failures
        }
    }

    /// The resource ids of each committed transaction, in commit order.
    var batches: [[String]] { state.withLock { $0.batches } }

    func apply<Mark: Sendable>(
        _ updates: [RowUpdate], committed: @escaping @Sendable () -> Mark
    ) async throws -> (results: [UpdateResult], mark: Mark) {
        let hold = state.withLock { state -> Latch? in
            defer { state.holdFirst = nil }
            return state.holdFirst
        }
        await hold?.wait()
        if let failure = state.withLock({ $0.failures.isEmpty ? nil : $0.failures.removeFirst() }) { throw failure }
        state.withLock { $0.batches.append(updates.map(\.resourceID)) }
        let mark = committed()
        await state.withLock { $0.holdAfterCommit }?.wait()
        return (updates.map { _ in .applied(nil) }, mark)
    }
}

@Suite("ResultWriter: group commit, and nothing lost while the database is in trouble")
struct ResultWriterTests {
    let clock = ManualClock()
    let logs = InMemoryLogSink()
    let table = ImageGenerationTaskKind.table

    func update(_ id: String) -> RowUpdate {
        let row = QueuedRow(rowID: 1, merchantID: "1900000001", resourceID: id, brandID: "120344", state: "PENDING")
        return RowUpdate(row: row, table: table, at: clock.wallNow())
    }

    func writer(_ sink: RecordingSink, giveUpAfter: Double = 120) -> ResultWriter {
        ResultWriter(
            sink: sink, clock: clock, logger: Logger(sink: logs), statistics: EngineStatistics(),
            giveUpAfter: giveUpAfter)
    }

    /// Runs the writer until `body` is done, then stops it; how its run ended.
    func running(_ writer: ResultWriter, _ body: () async -> Void) async -> (any Error)? {
        let ended = Locked<(any Error)??>(nil)
        await withDiscardingTaskGroup { group in
            group.addTask {
                do {
                    try await writer.run()
                    ended.withLock { $0 = .some(nil) }
                } catch {
                    ended.withLock { $0 = .some(error) }
                }
            }
            await body()
            await writer.stop()
        }
        return ended.withLock { $0 } ?? nil
    }

    /// Yields until `condition` holds, moving the manual clock on by `step` between rounds.
    func until(step: Double = 0, _ condition: () -> Bool) async -> Bool {
        for _ in 0..<2_000 {
            if condition() { return true }
            for _ in 0..<50 { await Task.yield() }
            clock.advance(by: step)
        }
        return condition()
    }

    @Test("updates submitted while a transaction runs go together into the next one, each submitter gets its results")
    func groupCommit() async {
        let latch = Latch()
        let sink = RecordingSink(holdingTheFirstBatchUntil: latch)
        let writer = writer(sink)
        let results = Locked<[String: Int]>([:])
        let error = await running(writer) {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    let answer = await writer.submit([update("first")])
                    results.withLock { $0["first"] = answer?.count }
                }
                #expect(await until { latch.waiting == 1 })
                for id in ["a", "b", "c", "d"] {
                    group.addTask {
                        let answer = await writer.submit([update(id), update(id + "2")])
                        results.withLock { $0[id] = answer?.count }
                    }
                }
                var queued = 0
                for _ in 0..<2_000 where queued < 8 {
                    await Task.yield()
                    queued = await writer.backlog
                }
                #expect(queued == 8)
                latch.open()
            }
        }
        #expect(error == nil)
        #expect(sink.batches.count == 2)
        #expect(sink.batches.first == ["first"])
        #expect(Set(sink.batches.last ?? []) == ["a", "a2", "b", "b2", "c", "c2", "d", "d2"])
        #expect(results.withLock { $0 } == ["first": 1, "a": 2, "b": 2, "c": 2, "d": 2])
    }

    @Test("a transaction is numbered the moment it commits, before the writer hears back from the database")
    func numberedAtCommit() async {
        let afterCommit = Latch()
        let sink = RecordingSink(holdingAfterCommitUntil: afterCommit)
        let writer = writer(sink)
        let numbered = Locked(-1)
        let error = await running(writer) {
            await withDiscardingTaskGroup { group in
                group.addTask { _ = await writer.commit([update("first")]) }
                #expect(await until { afterCommit.waiting == 1 })
                numbered.withLock { $0 = writer.committedThrough }
                afterCommit.open()
            }
        }
        #expect(error == nil)
        #expect(numbered.withLock { $0 } == 1, "a read that starts now sees transaction 1 and knows it")
    }

    @Test("a producer's lock is waited out however long it lasts; the episode is logged once, then its end")
    func busyIsWaitedOut() async {
        // 5 is SQLITE_BUSY.
        let busy = SQLiteError(extendedCode: 5, message: "database is locked", sql: nil, path: "/db")
        let sink = RecordingSink(failing: Array(repeating: busy, count: 40))
        let writer = writer(sink, giveUpAfter: 1)
        let written = Locked(false)
        let error = await running(writer) {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    _ = await writer.submit([update("task_001")])
                    written.withLock { $0 = true }
                }
                #expect(await until(step: 0.05) { written.withLock { $0 } })
            }
        }
        #expect(sink.batches == [["task_001"]])
        #expect(error == nil, "a lock is never a reason to give up")
        #expect(logs.records(named: "database.busy").count == 1)
        #expect(logs.records(named: "database.available").count == 1)
    }

    @Test(
        "other write failures are retried for giveUpAfter seconds, then the writer gives up: nil to submitters, run throws"
    )
    func givesUp() async {
        // 8 is SQLITE_READONLY.
        let readOnly = SQLiteError(
            extendedCode: 8, message: "attempt to write a readonly database", sql: nil,
            path: "/db")
        let sink = RecordingSink(failing: Array(repeating: readOnly, count: 1_000))
        let writer = writer(sink, giveUpAfter: 30)
        let answer = Locked<[UpdateResult]??>(nil)
        let error = await running(writer) {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    let result = await writer.submit([update("task_001")])
                    answer.withLock { $0 = .some(result) }
                }
                #expect(await until(step: 0.5) { answer.withLock { $0 } != nil })
            }
        }
        #expect(answer.withLock { $0 } == .some(nil))
        #expect(clock.monotonicNow() >= 30)
        #expect("\(error.map { "\($0)" } ?? "")".contains("readonly"))
        #expect(logs.records(named: "engine.fatal").count == 1)
        #expect(await writer.submit([update("task_002")]) == nil, "after giving up, nothing is accepted")
        #expect(sink.batches.isEmpty)
    }
}
