import Foundation
import ImageGenerationTasks
import ProductCoupons
import Testing
import WatcherEngine
import WatcherLog
import WatcherSQLite
import WatcherStore
import WatcherTestSupport

@Suite("ActivityRecorder: what `status` reads from another process, and the summary line")
struct ActivityRecorderTests {
    let lane = LaneKey(merchant: "1900000001", resource: "image_generation_task")

    @Test("every 5 s the minute's requests and failures (anomalies included) go to watcher_activity")
    func activityTable() async throws {
        let directory = TemporaryDirectory(prefix: "recorder")
        defer { directory.remove() }
        let store = try WatchStore(
            path: directory.file("watcher.sqlite3"), kinds: [ImageGenerationTaskKind.schema, ProductCouponKind.schema])
        defer { store.close() }
        let clock = ManualClock()
        let statistics = EngineStatistics()
        let recorder = ActivityRecorder(
            store: store, statistics: statistics, clock: clock, logger: Logger(sink: InMemoryLogSink()),
            identity: ProcessIdentity(pid: 42, hostname: "test", version: "1.0"))
        let running = Task { await recorder.run() }
        let connection = try SQLiteConnection(path: store.path, mode: .readOnly)
        defer { connection.close() }
        // Counts from before the recorder started are not this run's activity: wait until it has started.
        for _ in 0..<10_000 where try connection.query("SELECT pid FROM watcher_process").isEmpty {
            await Task.yield()
        }
        statistics.update(lane) {
            $0.requests = 10
            $0.transportFailures = 1
            $0.verificationFailures = 2
            $0.anomalies = 3
        }
        func activity() throws -> [SQLiteValue] {
            try connection.query("SELECT requests, failures FROM watcher_activity").first.map { [$0[0], $0[1]] } ?? []
        }
        var recorded = false
        for _ in 0..<200 where !recorded {
            clock.advance(by: 1)
            for _ in 0..<100 { await Task.yield() }
            recorded = try activity() == [.integer(10), .integer(6)]
        }
        await recorder.stop()
        await running.value
        #expect(recorded, "watcher_activity: \((try? activity()) ?? [])")
        let process = try connection.query("SELECT pid, status, stopped_at FROM watcher_process").first
        #expect(process?[0] == .integer(42))
        #expect(process?[1].stringValue?.hasPrefix("pending=0 oldest_pending_seconds=0 requests=10") == true)
        #expect(process?[2].isNull == false, "a clean stop is recorded")
    }

    @Test("once a minute a summary line per lane, with the oldest unfinished row's age")
    func summaryLine() async throws {
        let directory = TemporaryDirectory(prefix: "recorder")
        defer { directory.remove() }
        let store = try WatchStore(
            path: directory.file("watcher.sqlite3"), kinds: [ImageGenerationTaskKind.schema, ProductCouponKind.schema])
        defer { store.close() }
        let clock = ManualClock()
        let logs = InMemoryLogSink()
        let statistics = EngineStatistics()
        let start = clock.wallNow()
        let recorder = ActivityRecorder(
            store: store, statistics: statistics, clock: clock,
            logger: Logger(sink: logs, clock: { clock.wallNow() }), identity: nil)
        statistics.update(lane) {
            $0.pending = 4
            $0.oldestPendingCreatedAt = clock.wallNow().timeIntervalSince1970 - 600
        }
        let running = Task { await recorder.run() }
        // Time moves only while the recorder waits on the clock, so a record and its log line share one instant.
        for _ in 0..<100_000 where logs.records(named: "summary").isEmpty {
            if clock.sleeperCount > 0 { clock.advance(by: 0.5) }
            await Task.yield()
        }
        await recorder.stop()
        await running.value
        let summary = try #require(logs.records(named: "summary").first)
        #expect(summary["merchant"] == .string("1900000001"))
        #expect(summary["pending"] == .int(4))
        guard case .int(let age) = summary["oldest_pending_seconds"] else {
            Issue.record("no oldest_pending_seconds in \(summary)")
            return
        }
        let elapsed = Int(summary.timestamp.timeIntervalSince(start))
        #expect(elapsed >= 60)
        #expect(age == 600 + elapsed, "600 s old at the start, aged by the clock until the summary")
    }
}
