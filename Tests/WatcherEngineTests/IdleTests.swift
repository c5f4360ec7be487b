import Foundation
import Testing
import WatcherSQLite
import WatcherSync
import WatcherTestSupport

@testable import WatcherEngine

@Suite("At rest: the database's writes wake intake; nothing else is read while nothing changes")
struct IdleTests {
    /// Yields until `condition` holds, for at most `seconds` of real time: inotify reports from another thread.
    private func settles(within seconds: Double = 20, _ condition: () throws -> Bool) async rethrows -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return try condition()
    }

    @Test("a write to the watched file is reported; a deleted file disarms the watch until it exists again")
    func writeWatch() async throws {
        let directory = TemporaryDirectory(prefix: "write-watch")
        defer { directory.remove() }
        let path = directory.file("watcher.sqlite3-wal")
        let reports = Locked(0)
        let watch = try #require(DatabaseWriteWatch(path: path) { reports.withLock { $0 += 1 } })
        #expect(!watch.isArmed, "nothing to watch before the file exists")
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        watch.rearm()
        #expect(watch.isArmed)

        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.write(Data("frame".utf8))
        #expect(await settles { reports.withLock { $0 } >= 1 })
        #expect(watch.events >= 1)

        try handle.close()
        try FileManager.default.removeItem(atPath: path)
        #expect(await settles { !watch.isArmed })
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        watch.rearm()
        #expect(watch.isArmed)
        let before = reports.withLock { $0 }
        try Data("again".utf8).write(to: URL(fileURLWithPath: path))
        #expect(await settles { reports.withLock { $0 } > before })
    }

    @Test("a producer's commit is picked up long before intake's idle timer would look")
    func commitWakesIntake() async throws {
        let harness = try EngineHarness(intakeIdleInterval: 1_000)
        harness.start()
        // Past start-up's first checks: intake now sleeps for its idle interval unless a write wakes it.
        await harness.advance(limit: 5) { false }
        try harness.insert(["task_woken"])
        let done = try await harness.advance(limit: 10) { try harness.rows()["task_woken"]?.state == "SUCCESS" }
        harness.engine.stop()
        await harness.advance { harness.result != nil }
        #expect(done, "picked up within 10 s of simulated time, the idle interval being 1,000 s")
        #expect(harness.sentIDs == ["task_woken"])
    }

    @Test("a row another connection finishes leaves the pending count, though no answer of the lane changed it")
    func foreignChangeRecounts() async throws {
        // Re-polls an hour on: after the first answers the lane itself changes nothing.
        let harness = try EngineHarness(scheduler: FixedIntervalScheduler(interval: 3_600)) { id in
            EngineHarness.body(id, "PROCESSING")
        }
        try harness.insert(["task_a", "task_b"])
        harness.start()
        let lane = LaneKey(merchant: EngineHarness.merchantID, resource: "image_generation_task")
        func pending() -> Int? {
            harness.statistics.snapshot(at: 0, wallNow: harness.clock.wallNow()).lanes[lane]?.pending
        }
        #expect(await harness.advance { pending() == 2 && harness.sentIDs.count >= 2 })
        try harness.execute("UPDATE image_generation_tasks SET state = 'FAILED' WHERE task_id = 'task_b'")
        let recounted = await harness.advance { pending() == 1 }
        harness.engine.stop()
        await harness.advance { harness.result != nil }
        #expect(recounted, "pending: \(String(describing: pending()))")
    }

    @Test("the pending count follows new rows, final answers, and a row another connection deletes")
    func pendingFollowsChanges() async throws {
        let harness = try EngineHarness(scheduler: FixedIntervalScheduler(interval: 3_600)) { id in
            EngineHarness.body(id, id.hasPrefix("task_done") ? "SUCCESS" : "PROCESSING")
        }
        try harness.insert(["task_a", "task_b", "task_done1"])
        harness.start()
        let lane = LaneKey(merchant: EngineHarness.merchantID, resource: "image_generation_task")
        func pending() -> Int? {
            harness.statistics.snapshot(at: 0, wallNow: harness.clock.wallNow()).lanes[lane]?.pending
        }
        #expect(
            await harness.advance { pending() == 2 && harness.sentIDs.count >= 3 }, "\(String(describing: pending()))")
        try harness.insert(["task_c", "task_d", "task_done2"])
        #expect(
            await harness.advance { pending() == 4 && harness.sentIDs.count >= 6 }, "\(String(describing: pending()))")
        try harness.execute("DELETE FROM image_generation_tasks WHERE task_id = 'task_a'")
        let recounted = await harness.advance { pending() == 3 }
        harness.engine.stop()
        await harness.advance { harness.result != nil }
        #expect(recounted, "pending: \(String(describing: pending()))")
    }
}
