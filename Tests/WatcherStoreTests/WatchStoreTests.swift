import Foundation
import ImageGenerationTasks
import ProductCoupons
import Testing
import WatcherLog
import WatcherSQLite
import WatcherStore
import WatcherTestSupport

let imageTasks = ImageGenerationTaskKind.table
/// The kinds the program ships, in `Setup.kinds` order.
let shippedKinds = [ImageGenerationTaskKind.schema, ProductCouponKind.schema]

/// A store in a fresh folder, removed afterwards.
final class StoreFixture {
    let directory = TemporaryDirectory(prefix: "watcher-store")
    let store: WatchStore
    var path: String { directory.file("watcher.sqlite3") }

    init() throws {
        store = try WatchStore(path: directory.file("watcher.sqlite3"), kinds: shippedKinds)
    }

    deinit {
        store.close()
        directory.remove()
    }

    /// Inserts rows the way a producer does: identifying columns only.
    func insert(_ ids: [String], merchant: String = "1900000001", type: String = "COMBINE_IMAGE") throws {
        let connection = try SQLiteConnection(path: path)
        defer { connection.close() }
        for id in ids {
            try connection.run(
                "INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type) VALUES (?, ?, '120344', ?)",
                [.text(merchant), .text(id), .text(type)]
            )
        }
    }

    func scalar(_ sql: String) throws -> SQLiteValue {
        let connection = try SQLiteConnection(path: path)
        defer { connection.close() }
        return try connection.scalar(sql)
    }
}

@Suite("Schema and migrations")
struct MigrationTests {
    @Test("a database from a newer program is refused with a clear message")
    func newerSchema() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let connection = try SQLiteConnection(path: directory.file("db.sqlite3"))
        defer { connection.close() }
        try connection.execute("PRAGMA user_version = 999")
        #expect {
            try Migrator.migrate(connection, kinds: shippedKinds)
        } throws: { error in
            "\(error)".contains("newer than this program")
        }
    }

    @Test("the contract columns exist, producers insert only four, defaults fill the rest")
    func contractColumns() throws {
        let fixture = try StoreFixture()
        try fixture.insert(["task_0001"])
        #expect(try fixture.scalar("SELECT state FROM image_generation_tasks") == .text("PENDING"))
        let created = try fixture.scalar("SELECT created_at FROM image_generation_tasks").stringValue ?? ""
        #expect(Timestamp.parse(created) != nil, "created_at \(created) is RFC 3339 with milliseconds")
        #expect(try fixture.scalar("SELECT journal_mode FROM pragma_journal_mode") == .text("wal"))
    }

    @Test("due and intake queries use their partial indexes, never a table scan")
    func queryPlans() throws {
        let fixture = try StoreFixture()
        let connection = try SQLiteConnection(path: fixture.path)
        defer { connection.close() }
        let due = try connection.query(
            "EXPLAIN QUERY PLAN SELECT rowid FROM image_generation_tasks INDEXED BY image_generation_tasks_due WHERE merchant_id = '1' AND state IN ('PENDING', 'PROCESSING') AND next_poll_at IS NOT NULL ORDER BY next_poll_at LIMIT 5"
        ).map { $0[3].stringValue ?? "" }.joined()
        #expect(due.contains("USING INDEX image_generation_tasks_due"))
        #expect(!due.contains("TEMP B-TREE"), "ordered by the index: \(due)")
        let oldest = try connection.query(
            "EXPLAIN QUERY PLAN SELECT min(created_at) FROM image_generation_tasks INDEXED BY image_generation_tasks_oldest WHERE merchant_id = '1' AND state IN ('PENDING', 'PROCESSING')"
        ).map { $0[3].stringValue ?? "" }.joined()
        #expect(oldest.contains("USING INDEX image_generation_tasks_oldest"), "\(oldest)")
        let unscheduled = try connection.query(
            "EXPLAIN QUERY PLAN SELECT rowid FROM image_generation_tasks INDEXED BY image_generation_tasks_due WHERE merchant_id = '1' AND state IN ('PENDING', 'PROCESSING') AND next_poll_at IS NULL AND state <> 'PENDING' LIMIT 5"
        ).map { $0[3].stringValue ?? "" }.joined()
        #expect(
            unscheduled.contains("USING INDEX image_generation_tasks_due (merchant_id=? AND next_poll_at=?)"),
            "\(unscheduled)")
    }
}

@Suite("The queue")
struct QueueTests {
    @Test("the reading connections keep a 512 KiB page cache, the writer SQLite's default 2 MB")
    func cacheSizes() async throws {
        let fixture = try StoreFixture()
        // Another connection's commit empties a reader's cache: only the writer's lasts from one statement to the next.
        #expect(try await fixture.store.cacheSizes() == [-2000, -512, -512])
    }

    @Test("new rows are found until the daemon schedules them; due rows come in next_poll_at order")
    func newAndDue() async throws {
        let fixture = try StoreFixture()
        try fixture.insert(["task_a", "task_b", "task_c"])
        let fresh = try await fixture.store.newRows(imageTasks, limit: 10)
        #expect(fresh.map(\.resourceID).sorted() == ["task_a", "task_b", "task_c"])
        #expect(fresh[0].parameters["image_generation_type"] == "COMBINE_IMAGE")
        #expect(fresh[0].createdAt != nil)
        let now = Date()
        let updates = fresh.map { row in
            var update = RowUpdate(row: row, table: imageTasks, at: now)
            update.nextPollAt = .set(["task_a": 30.0, "task_b": 10, "task_c": 20][row.resourceID]!)
            update.firstSeenAt = now.timeIntervalSince1970
            return update
        }
        let results = try await fixture.store.apply(updates)
        #expect(results.allSatisfy { $0.isApplied })
        #expect(try await fixture.store.newRows(imageTasks, limit: 10).isEmpty)
        let due = try await fixture.store.upcomingRows(imageTasks, merchant: "1900000001", limit: 10)
        #expect(due.map(\.resourceID) == ["task_b", "task_c", "task_a"])
        #expect(try await fixture.store.activeSummary(imageTasks, merchant: "1900000001").count == 3)
        #expect(try await fixture.store.upcomingRows(imageTasks, merchant: "1900000002", limit: 10).isEmpty)
    }

    @Test(
        "rows in states the daemon does not know are found once each, in rowid order, a span of rowids at a time")
    func unknownStates() async throws {
        let fixture = try StoreFixture()
        try fixture.insert(["task_a", "task_b", "task_c", "task_d"])
        let connection = try SQLiteConnection(path: fixture.path)
        defer { connection.close() }
        try connection.execute("UPDATE image_generation_tasks SET state = 'pending' WHERE task_id = 'task_b'")
        try connection.execute("UPDATE image_generation_tasks SET state = X'50' WHERE task_id = 'task_d'")
        let known = ["PENDING", "PROCESSING", "SUCCESS", "FAIL", "REJECTED", "EXPIRED"]
        let first = try await fixture.store.rowsInUnknownStates(imageTasks, known: known, after: 0, span: 2)
        #expect(first.rows.map(\.resourceID) == ["task_b"] && first.rows.first?.state == "pending")
        #expect(first.through == 2, "two rowids looked at")
        let second = try await fixture.store.rowsInUnknownStates(imageTasks, known: known, after: first.through)
        #expect(second.rows.map(\.resourceID) == ["task_d"] && second.rows.first?.state == "X'50'")
        #expect(second.through == 4, "up to the last row")
        try fixture.insert(["task_e"])
        let third = try await fixture.store.rowsInUnknownStates(imageTasks, known: known, after: second.through)
        #expect(third.rows.isEmpty && third.through == 5, "only the new row looked at, and it is PENDING")
    }

    @Test(
        "rows updated into unknown states are found across the table, a few merchants at a time, by index ranges")
    func unknownStatesAcrossTable() async throws {
        let fixture = try StoreFixture()
        try fixture.insert(["a_done", "a_ok", "a_typo"], merchant: "1900000001")
        try fixture.insert(["b_ok", "b_blob", "b_lower"], merchant: "1900000002")
        let connection = try SQLiteConnection(path: fixture.path)
        defer { connection.close() }
        for (id, state) in [
            ("a_done", "'DONE'"), ("a_typo", "'PENDNG'"), ("b_blob", "X'50'"), ("b_lower", "'pending'"),
        ] {
            try connection.execute("UPDATE image_generation_tasks SET state = \(state) WHERE task_id = '\(id)'")
        }
        try connection.execute("UPDATE image_generation_tasks SET state = 'SUCCESS' WHERE task_id = 'a_ok'")
        let known = ["PENDING", "PROCESSING", "SUCCESS", "FAIL", "REJECTED", "EXPIRED"]
        let first = try await fixture.store.rowsInUnknownStatesAcrossTable(
            imageTasks, known: known, afterMerchant: nil, merchants: 1)
        #expect(Set(first.rows.map(\.resourceID)) == ["a_done", "a_typo"])
        #expect(first.lastMerchant != nil, "one merchant looked at, more to come")
        let second = try await fixture.store.rowsInUnknownStatesAcrossTable(
            imageTasks, known: known, afterMerchant: first.lastMerchant, merchants: 1)
        #expect(Set(second.rows.map(\.resourceID)) == ["b_blob", "b_lower"])
        #expect(Set(second.rows.map(\.state)) == ["X'50'", "pending"])
        let third = try await fixture.store.rowsInUnknownStatesAcrossTable(
            imageTasks, known: known, afterMerchant: second.lastMerchant, merchants: 1)
        #expect(third.rows.isEmpty && third.lastMerchant == nil, "past the last merchant: start again")
        let all = try await fixture.store.rowsInUnknownStatesAcrossTable(imageTasks, known: known, afterMerchant: nil)
        #expect(all.rows.count == 4 && all.lastMerchant == nil)
        let limited = try await fixture.store.rowsInUnknownStatesAcrossTable(
            imageTasks, known: known, afterMerchant: nil, limit: 1)
        #expect(limited.rows.count == 1)
        // Searches of the (merchant, state) index, never a scan of the table or the index.
        let plan = try connection.query(
            """
            EXPLAIN QUERY PLAN SELECT rowid FROM image_generation_tasks INDEXED BY image_generation_tasks_state
            WHERE merchant_id = '1900000001' AND state > 'PENDING' AND state < 'PROCESSING'
            """
        ).compactMap { $0[3].stringValue }
        #expect(plan.allSatisfy { $0.hasPrefix("SEARCH") }, "\(plan)")
    }

    @Test("a state change writes exactly one transition in the same transaction; a repeated state writes none")
    func transitions() async throws {
        let fixture = try StoreFixture()
        try fixture.insert(["task_a"])
        var row = try #require(try await fixture.store.newRows(imageTasks, limit: 1).first)
        let now = Date()
        var toProcessing = RowUpdate(row: row, table: imageTasks, at: now)
        toProcessing.newState = "PROCESSING"
        toProcessing.nextPollAt = .set(1)
        toProcessing.countsAsPoll = true
        let first = try await fixture.store.apply([toProcessing])
        #expect(first.first?.transition?.to == "PROCESSING")
        row.state = "PROCESSING"
        var again = RowUpdate(row: row, table: imageTasks, at: now)
        again.newState = "PROCESSING"
        again.countsAsPoll = true
        #expect(try await fixture.store.apply([again]).first == .applied(nil))
        var done = RowUpdate(row: row, table: imageTasks, at: now)
        done.newState = "SUCCESS"
        done.isTerminal = true
        done.results = ["image_url": .text("https://a.example/x.jpg")]
        done.transitionDetail = "https://a.example/x.jpg"
        _ = try await fixture.store.apply([done])
        #expect(try fixture.scalar("SELECT count(*) FROM state_transitions") == .integer(2))
        #expect(try fixture.scalar("SELECT poll_count FROM image_generation_tasks") == .integer(2))
        #expect(try fixture.scalar("SELECT image_url FROM image_generation_tasks") == .text("https://a.example/x.jpg"))
        #expect(
            try fixture.scalar("SELECT completed_at IS NOT NULL AND next_poll_at IS NULL FROM image_generation_tasks")
                == .integer(1))
        #expect(
            try await fixture.store.upcomingRows(imageTasks, merchant: "1900000001", limit: 5).isEmpty,
            "final rows are never due")
    }

    @Test("an update for a row that changed meanwhile is skipped and writes nothing")
    func guardedUpdate() async throws {
        let fixture = try StoreFixture()
        try fixture.insert(["task_a"])
        let row = try #require(try await fixture.store.newRows(imageTasks, limit: 1).first)
        let connection = try SQLiteConnection(path: fixture.path)
        try connection.run("UPDATE image_generation_tasks SET state = 'FAIL'")
        connection.close()
        var update = RowUpdate(row: row, table: imageTasks, at: Date())
        update.newState = "SUCCESS"
        #expect(try await fixture.store.apply([update]) == [.skipped])
        #expect(try fixture.scalar("SELECT count(*) FROM state_transitions") == .integer(0))
    }

    @Test("an answer for a deleted row misses the row inserted in its place under the same rowid")
    func rowIDReusedAfterDelete() async throws {
        let fixture = try StoreFixture()
        try fixture.insert(["task_a"])
        let new = try #require(try await fixture.store.newRows(imageTasks, limit: 1).first)
        var admit = RowUpdate(row: new, table: imageTasks, at: Date())
        admit.firstSeenAt = 1_800_000_000
        admit.nextPollAt = .set(1)
        #expect(try await fixture.store.apply([admit]).first?.isApplied == true)
        let watched = try #require(
            try await fixture.store.upcomingRows(imageTasks, merchant: "1900000001", limit: 1).first)
        // While the poll is in flight, a producer deletes the row and inserts it again: SQLite gives the new row the
        // deleted last row's rowid.
        let connection = try SQLiteConnection(path: fixture.path)
        try connection.run("DELETE FROM image_generation_tasks")
        connection.close()
        try fixture.insert(["task_a"])
        #expect(try fixture.scalar("SELECT rowid FROM image_generation_tasks") == .integer(watched.rowID))
        var answer = RowUpdate(row: watched, table: imageTasks, at: Date())
        answer.newState = "SUCCESS"
        answer.isTerminal = true
        answer.results = ["image_url": .text("https://img.example/old.jpg")]
        #expect(try await fixture.store.apply([answer]) == [.skipped])
        #expect(
            try fixture.scalar("SELECT state || '/' || typeof(image_url) FROM image_generation_tasks")
                == .text("PENDING/null"))
        #expect(try fixture.scalar("SELECT count(*) FROM state_transitions") == .integer(0))
        #expect(try await fixture.store.newRows(imageTasks, limit: 1).count == 1, "intake still admits the new row")
    }

    @Test("rows past the deadline are found by created_at")
    func deadline() async throws {
        let fixture = try StoreFixture()
        try fixture.insert(["task_old", "task_new"])
        let connection = try SQLiteConnection(path: fixture.path)
        try connection.run(
            "UPDATE image_generation_tasks SET created_at = '2020-01-01T00:00:00.000Z' WHERE task_id = 'task_old'")
        connection.close()
        let old = try await fixture.store.rowsCreatedBefore(
            imageTasks, cutoff: Date().addingTimeInterval(-3600), limit: 10)
        #expect(old.map(\.resourceID) == ["task_old"])
    }

    @Test("the deadline compares instants, whatever format the producer wrote created_at in")
    func deadlineFormats() async throws {
        let fixture = try StoreFixture()
        let ids = [
            "space_3h", "space_1m", "epoch_1m", "offset_3h", "space_25h", "epoch_25h", "offset_26h", "millis_1m",
            "millis_25h",
        ]
        try fixture.insert(ids)
        let connection = try SQLiteConnection(path: fixture.path)
        for (id, value) in [
            ("space_3h", "datetime('now', '-3 hours')"), ("space_1m", "datetime('now', '-1 minutes')"),
            ("epoch_1m", "CAST(strftime('%s', 'now', '-1 minutes') AS INTEGER)"),
            ("offset_3h", "strftime('%Y-%m-%dT%H:%M:%S+08:00', 'now', '+5 hours')"),
            ("space_25h", "datetime('now', '-25 hours')"),
            ("epoch_25h", "CAST(strftime('%s', 'now', '-25 hours') AS INTEGER)"),
            ("offset_26h", "strftime('%Y-%m-%dT%H:%M:%S-02:00', 'now', '-28 hours')"),
            ("millis_1m", "CAST(strftime('%s', 'now', '-1 minutes') AS INTEGER) * 1000 + 250"),
            ("millis_25h", "CAST(strftime('%s', 'now', '-25 hours') AS INTEGER) * 1000 + 250"),
        ] {
            try connection.run("UPDATE image_generation_tasks SET created_at = \(value) WHERE task_id = '\(id)'")
        }
        connection.close()
        let old = try await fixture.store.rowsCreatedBefore(
            imageTasks, cutoff: Date().addingTimeInterval(-24 * 3600), limit: 10)
        #expect(Set(old.map(\.resourceID)) == ["space_25h", "epoch_25h", "offset_26h", "millis_25h"])
        let ages = Dictionary(
            uniqueKeysWithValues: old.map { ($0.resourceID, Date().timeIntervalSince1970 - ($0.createdAt ?? 0)) })
        #expect(abs((ages["space_25h"] ?? 0) - 25 * 3600) < 120 && abs((ages["epoch_25h"] ?? 0) - 25 * 3600) < 120)
        #expect(abs((ages["offset_26h"] ?? 0) - 26 * 3600) < 120, "\(ages)")
        #expect(abs((ages["millis_25h"] ?? 0) - 25 * 3600) < 120, "Unix milliseconds: \(ages)")
    }

    @Test(
        "a merchant's watched rows (seen by intake, still active) are counted, with the creation time of the oldest active row; final rows, rows not yet seen and others' rows are not counted"
    )
    func activeSummary() async throws {
        let fixture = try StoreFixture()
        try fixture.insert(["task_old", "task_new", "task_done", "task_unseen"])
        try fixture.insert(["task_other"], merchant: "1900000002")
        let connection = try SQLiteConnection(path: fixture.path)
        try connection.run("UPDATE image_generation_tasks SET next_poll_at = 1 WHERE task_id != 'task_unseen'")
        try connection.run(
            "UPDATE image_generation_tasks SET created_at = '2026-11-22T08:00:00.500Z' WHERE task_id = 'task_old'")
        try connection.run(
            "UPDATE image_generation_tasks SET created_at = '2026-11-22T07:00:00.000Z', state = 'SUCCESS' WHERE task_id = 'task_done'"
        )
        try connection.run(
            "UPDATE image_generation_tasks SET created_at = '2026-11-22T06:00:00.000Z' WHERE task_id = 'task_other'")
        connection.close()
        let summary = try await fixture.store.activeSummary(imageTasks, merchant: "1900000001")
        #expect(summary.count == 2)
        let oldest = try #require(summary.oldestCreatedAt)
        #expect(abs(oldest - 1_795_334_400.5) < 0.001, "created_at of task_old, as unix seconds")
        #expect(try await fixture.store.oldestActiveCreatedAt(imageTasks, merchant: "1900000001") == oldest)
        let none = try await fixture.store.activeSummary(imageTasks, merchant: "1900000003")
        #expect(none == ActiveSummary(count: 0, oldestCreatedAt: nil))
    }

    @Test("a row's clock starts at created_at, or at first sight when created_at is missing or in the future")
    func startedAtRules() {
        func row(created: Double?, seen: Double?) -> QueuedRow {
            QueuedRow(
                rowID: 1, merchantID: "1900000001", resourceID: "task_a", brandID: "120344", state: "PENDING",
                createdAt: created, firstSeenAt: seen)
        }
        #expect(row(created: 1_000, seen: 1_060).startedAt == 1_000)
        #expect(row(created: nil, seen: 1_060).startedAt == 1_060)
        #expect(row(created: 1_200, seen: 1_000).startedAt == 1_200, "a producer's clock a little ahead is believed")
        #expect(row(created: 4_102_444_800, seen: 1_000).startedAt == 1_000, "2100-01-01 cannot be right")
        #expect(row(created: 4_102_444_800, seen: nil).startedAt == 4_102_444_800, "not seen yet: nothing better")
    }

    @Test("the oldest active row is found whatever format created_at is in, for the gauge and for status")
    func oldestAcrossFormats() async throws {
        let fixture = try StoreFixture()
        try fixture.insert(["zulu_3h", "epoch_now", "space_1h", "offset_2h"])
        let connection = try SQLiteConnection(path: fixture.path)
        // The rows' times are SQLite's `now` when they were set: between these two instants (a loaded machine may
        // take its time), so the bounds hold however slowly it runs.
        let before = Date().timeIntervalSince1970.rounded(.down)
        for (id, value) in [
            ("zulu_3h", "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-3 hours')"),
            ("epoch_now", "CAST(strftime('%s', 'now') AS INTEGER)"), ("space_1h", "datetime('now', '-1 hours')"),
            ("offset_2h", "strftime('%Y-%m-%dT%H:%M:%S+08:00', 'now', '+6 hours')"),
        ] {
            try connection.run("UPDATE image_generation_tasks SET created_at = \(value) WHERE task_id = '\(id)'")
        }
        connection.close()
        let after = Date().timeIntervalSince1970.rounded(.up)
        let oldest = try #require(try await fixture.store.oldestActiveCreatedAt(imageTasks, merchant: "1900000001"))
        let threeHours = 3.0 * 3600
        #expect(
            (before - threeHours...after - threeHours).contains(oldest), "the 3-hour-old row, not the Unix-time one")
        let reader = try SQLiteConnection(path: fixture.path, mode: .readOnly)
        defer { reader.close() }
        let now = Date()
        let report = try StatusReport.load(from: reader, tables: [imageTasks], now: now)
        let row = try #require(report.oldestUnfinished.first)
        #expect(row.resourceID == "zulu_3h")
        let age = try #require(row.ageSeconds)
        #expect(abs(age - (now.timeIntervalSince1970 - oldest)) < 1, "its age at the report's now: \(age) s")
    }

    @Test("data_version moves when another connection commits")
    func dataVersion() async throws {
        let fixture = try StoreFixture()
        let before = try await fixture.store.dataVersion()
        try fixture.insert(["task_a"])
        #expect(try await fixture.store.dataVersion() != before)
    }
}
