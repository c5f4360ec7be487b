import Foundation
import Testing
import WatcherEngine
import WatcherLog
import WatcherSQLite
import WatcherTestSupport

@Suite("The engine in process: intake and lanes against a fake WeChat Pay, in simulated time")
struct EngineRuntimeTests {
    @Test("new rows are polled once each, in the order producers inserted them, and end in their answered state")
    func newRowsInOrder() async throws {
        // One request per second: each is sent alone, so the transport sees the order in which the lane took them.
        let harness = try EngineHarness(requestsPerSecond: 1)
        let ids = (1...12).map { "task_\(String(format: "%03d", $0))" }
        try harness.insert(ids)
        harness.start()
        let done = try await harness.advance { try harness.rows().values.allSatisfy { $0.state == "SUCCESS" } }
        harness.engine.stop()
        #expect(await harness.advance { harness.result != nil })
        #expect(done)
        #expect(harness.sentIDs == ids)
        #expect(
            harness.statistics.snapshot(at: 0, wallNow: Date()).transitions["image_generation_task"] == ["SUCCESS": 12])
    }

    @Test("a new row is polled before re-polls that are already due")
    func newRowJumpsTheQueue() async throws {
        let harness = try EngineHarness(
            requestsPerSecond: 2, scheduler: FixedIntervalScheduler(interval: 0)
        ) { id in EngineHarness.body(id, id == "task_new" ? "SUCCESS" : "PROCESSING") }
        try harness.insert(["task_a1", "task_a2", "task_a3", "task_a4"])
        harness.start()
        #expect(await harness.advance { harness.sentIDs.count >= 12 }, "the old rows are re-polled without a pause")
        try harness.insert(["task_new"])
        let sentBefore = harness.sentIDs.count
        #expect(try await harness.advance { try harness.rows()["task_new"]?.state == "SUCCESS" })
        harness.engine.stop()
        await harness.advance { harness.result != nil }
        let position = try #require(harness.sentIDs.firstIndex(of: "task_new"))
        // Intake notices a row within 0.1 s; at 2 requests per second, at most the two permits already taken go first.
        #expect(position <= sentBefore + 2, "sent \(position - sentBefore) requests after the insert before it")
    }

    @Test("the limiter's permits: never more than the rate in one second, and unanswered requests hold their slot")
    func permitsAndInFlight() async throws {
        let answers = Latch()
        let harness = try EngineHarness(requestsPerSecond: 20) { id in
            await answers.wait()
            return EngineHarness.body(id, "SUCCESS")
        }
        try harness.insert((1...50).map { "task_\(String(format: "%03d", $0))" })
        harness.start()
        await harness.advance(limit: 5) { false }
        #expect(harness.sentIDs.count == 20, "20 requests in flight fill the budget however long they take")
        answers.open()
        let done = try await harness.advance { try harness.rows().values.allSatisfy { $0.state == "SUCCESS" } }
        harness.engine.stop()
        await harness.advance { harness.result != nil }
        #expect(done)
        #expect(harness.sentIDs.count == 50)
        #expect(harness.mostSendsInOneSecond <= 20)
    }

    @Test("stop lets answers in flight arrive and be written, then run returns")
    func stopWithAnswersInFlight() async throws {
        let answers = Latch()
        let harness = try EngineHarness { id in
            await answers.wait()
            return EngineHarness.body(id, "SUCCESS")
        }
        try harness.insert(["task_001", "task_002", "task_003"])
        harness.start()
        #expect(await harness.advance { answers.waiting == 3 })
        harness.engine.stop()
        await harness.advance(limit: 2) { false }
        #expect(harness.result == nil, "still waiting for the three answers")
        #expect(try harness.rows().values.allSatisfy { $0.state == "PENDING" })
        answers.open()
        #expect(await harness.advance { harness.result != nil })
        #expect(try harness.rows().values.map(\.state) == ["SUCCESS", "SUCCESS", "SUCCESS"])
        #expect(harness.sentIDs.count == 3, "nothing new starts after stop")
    }

    @Test("a database that cannot be written for longer than write_retry stops the engine with the reason")
    func fatalWriteFailure() async throws {
        let harness = try EngineHarness(writeRetry: 10)
        try harness.execute(
            "CREATE TRIGGER refuse BEFORE UPDATE ON image_generation_tasks BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
        )
        try harness.insert(["task_001"])
        harness.start()
        #expect(await harness.advance(limit: 60) { harness.result != nil })
        guard case .failure(let error) = harness.result else {
            Issue.record("run ended without an error: \(String(describing: harness.result))")
            return
        }
        #expect("\(error)".contains("cannot write to the database") && "\(error)".contains("disk on fire"))
        #expect(!harness.logs.records(named: "database.write_failed").isEmpty)
        #expect(harness.logs.records(named: "engine.fatal").count == 1)
    }

    @Test("a row in a state the daemon does not know is left as it is, not polled, and named once in the log")
    func unknownStateNamedOnce() async throws {
        let harness = try EngineHarness()
        try harness.execute(
            """
            INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type, state)
            VALUES ('\(EngineHarness.merchantID)', 'task_typo', '120344', 'COMBINE_IMAGE', 'pending')
            """)
        try harness.insert(["task_good"])
        harness.start()
        let named = await harness.advance { !harness.logs.records(named: "row.unknown_state").isEmpty }
        try harness.insert(["task_later"])
        let done = try await harness.advance { try harness.rows()["task_later"]?.state == "SUCCESS" }
        harness.engine.stop()
        await harness.advance { harness.result != nil }
        #expect(named && done)
        let records = harness.logs.records(named: "row.unknown_state")
        #expect(records.count == 1, "once, though intake looked again after later inserts")
        #expect(records.first?["id"] == .string("task_typo"))
        #expect(records.first?["state"] == .string("pending"))
        let error = records.first?["error"].map { String(describing: $0) } ?? ""
        #expect(error.contains("none the watcher knows") && error.contains("PENDING"), "\(error)")
        #expect(try harness.rows()["task_typo"]?.state == "pending", "the producer's value is kept")
        #expect(!harness.sentIDs.contains("task_typo"))
    }

    @Test("a row a producer updates into an unknown state is named once too, within a sweep")
    func unknownStateByUpdateNamedOnce() async throws {
        let harness = try EngineHarness()
        try harness.insert(["task_done", "task_other"])
        harness.start()
        let done = try await harness.advance { try harness.rows().values.allSatisfy { $0.state == "SUCCESS" } }
        // An operator's re-queue with a typo: the row is in no queue, so nothing else would ever say so.
        try harness.execute("UPDATE image_generation_tasks SET state = 'PENDNG' WHERE task_id = 'task_done'")
        let named = await harness.advance(limit: 60) { !harness.logs.records(named: "row.unknown_state").isEmpty }
        await harness.advance(limit: 70) { false }
        harness.engine.stop()
        await harness.advance { harness.result != nil }
        #expect(done && named)
        let records = harness.logs.records(named: "row.unknown_state")
        #expect(records.count == 1, "once, though later sweeps found it again")
        #expect(records.first?["id"] == .string("task_done") && records.first?["state"] == .string("PENDNG"))
        #expect(try harness.rows()["task_done"]?.state == "PENDNG", "the producer's value is kept")
    }

    @Test("invalid rows end REJECTED with the reason, without a request")
    func invalidRowsRejected() async throws {
        let harness = try EngineHarness()
        try harness.insert(["bad id!"])
        try harness.insert(["task_other"], merchant: "1900000999")
        harness.start()
        let done = try await harness.advance { try harness.rows().values.allSatisfy { $0.state == "REJECTED" } }
        harness.engine.stop()
        await harness.advance { harness.result != nil }
        #expect(done)
        #expect(harness.sentIDs.isEmpty)
        #expect(try harness.rows()["task_other"]?.error?.contains("not a configured merchant") == true)
        #expect(harness.logs.records(named: "row.rejected").count == 2)
        let lanes = harness.statistics.snapshot(at: 0, wallNow: Date()).lanes.keys
        #expect(!lanes.contains { $0.merchant == "1900000999" }, "no lane, no metrics for a merchant not configured")
        #expect(lanes.contains { $0.merchant == EngineHarness.merchantID })
    }

    @Test("a row a producer scheduled itself is checked before its first request: invalid, it ends REJECTED unsent")
    func producerScheduledInvalidRowRejected() async throws {
        let harness = try EngineHarness()
        try harness.insert(["task_good", "task_bad"])
        // Setting next_poll_at hands the rows to the lane directly, past intake's look at new rows.
        try harness.execute(
            """
            UPDATE image_generation_tasks SET next_poll_at = 0,
              image_generation_type = CASE task_id WHEN 'task_bad' THEN 'SHARPEN' ELSE image_generation_type END
            """)
        harness.start()
        let done = try await harness.advance {
            try harness.rows()["task_bad"]?.state == "REJECTED" && harness.rows()["task_good"]?.state == "SUCCESS"
        }
        harness.engine.stop()
        await harness.advance { harness.result != nil }
        #expect(done)
        #expect(harness.sentIDs == ["task_good"], "the invalid row never reached the server")
        #expect(try harness.rows()["task_bad"]?.error?.contains("image_generation_type \"SHARPEN\"") == true)
        let rejected = harness.logs.records(named: "row.rejected")
        #expect(rejected.count == 1 && rejected.first?["id"] == .string("task_bad"))
    }

    @Test(
        "ids no update can match (a BLOB, bytes that are not UTF-8, a NUL), however many, end REJECTED; intake goes on")
    func unreadableIdentifiers() async throws {
        let harness = try EngineHarness()
        try harness.execute(
            """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600)
            INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type)
            SELECT '1900000001', CAST('blob_task_' || i AS BLOB), '120344', 'COMBINE_IMAGE' FROM n;
            INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type)
            VALUES ('1900000001', CAST(X'6261645F75746638FF5F3031' AS TEXT), '120344', 'COMBINE_IMAGE'),
                   ('1900000001', 'nul_id' || char(0) || '_01', '120344', 'COMBINE_IMAGE');
            """)
        try harness.insert(["task_after_them"])
        let long = String(repeating: "7", count: 100_000)
        try harness.insert([long])
        harness.start()
        // Keyed by state and error: the BLOB ids have no text to key a row by.
        func outcomes() throws -> [String: Int] {
            let connection = try SQLiteConnection(path: harness.store.path, mode: .readOnly)
            defer { connection.close() }
            var counts: [String: Int] = [:]
            for row in try connection.query(
                "SELECT state, coalesce(error, ''), count(*) FROM image_generation_tasks GROUP BY 1, 2")
            {
                counts["\(row[0].stringValue ?? "") \(row[1].stringValue ?? "")"] = Int(row[2].int64Value ?? 0)
            }
            return counts
        }
        let done = try await harness.advance {
            try outcomes().keys.allSatisfy { $0.hasPrefix("REJECTED") || $0.hasPrefix("SUCCESS") }
        }
        harness.engine.stop()
        await harness.advance { harness.result != nil }
        #expect(done)
        let counts = try outcomes()
        #expect(counts.values.reduce(0, +) == 604)
        #expect(counts["REJECTED task_id is not text: a BLOB, or bytes that are not UTF-8"] == 601)
        #expect(counts.keys.contains { $0.contains("nul_id\\0_01") && $0.contains("other than [0-9A-Za-z_-]") })
        #expect(counts.keys.contains { $0.contains("… (100000 characters) has 100000 characters") })
        #expect(
            counts.keys.allSatisfy { $0.count < 200 }, "a long id is quoted by its start: \(counts.keys.map(\.count))")
        #expect(try harness.rows()["task_after_them"]?.state == "SUCCESS")
        #expect(harness.sentIDs == ["task_after_them"])
    }

    @Test("the lane reports its oldest unfinished row; an answer that cannot be right counts as an anomaly")
    func oldestPendingAndAnomalies() async throws {
        let harness = try EngineHarness { id in
            id == "task_liar"
                ? EngineHarness.body("task_someone_else", "SUCCESS") : EngineHarness.body(id, "PROCESSING")
        }
        try harness.insert(["task_old"], createdAt: harness.clock.wallNow().addingTimeInterval(-3_600))
        try harness.insert(["task_liar"])
        harness.start()
        let lane = LaneKey(merchant: EngineHarness.merchantID, resource: "image_generation_task")
        func counters() -> LaneCounters? {
            harness.statistics.snapshot(at: 0, wallNow: harness.clock.wallNow()).lanes[lane]
        }
        let measured = await harness.advance {
            (counters()?.oldestPendingAge ?? 0) >= 3_600 && (counters()?.requests ?? 0) >= 2
        }
        harness.engine.stop()
        await harness.advance { harness.result != nil }
        #expect(measured, "oldest pending age: \(String(describing: counters()?.oldestPendingAge))")
        #expect(counters()?.pending == 2)
        #expect((counters()?.anomalies ?? 0) >= 1)
        #expect(try harness.rows()["task_liar"]?.state == "PENDING", "an anomaly never changes the state")
    }
}
