import Foundation
import ImageGenerationTasks
import ProductCoupons
import Testing
import WatcherEngine
import WatcherLog
import WatcherSQLite
import WatcherStore
import WatcherSync
import WatcherTestSupport

/// Wall-clock time fixed at one instant, so "older than N days" is exact; waits are real and short.
private struct FixedWallClock: WatcherClock {
    let wall: Date
    private let monotonic = SystemClock()

    init(_ wall: Date) { self.wall = wall }

    func monotonicNow() -> Double { monotonic.monotonicNow() }
    func wallNow() -> Date { wall }
    func sleep(until deadline: Double) async throws { try await monotonic.sleep(until: deadline) }
}

/// A migrated database in a fresh folder with rows and transitions placed in time, and a pruner for it.
private final class RetentionFixture {
    static let now = Date(timeIntervalSince1970: 1_795_000_000)
    static let tables = [ImageGenerationTaskKind().table, ProductCouponKind().table]

    let directory = TemporaryDirectory(prefix: "watcher-retention")
    let connection: SQLiteConnection
    let sink = InMemoryLogSink()
    var path: String { directory.file("watcher.sqlite3") }

    init() throws {
        try WatchStore(
            path: directory.file("watcher.sqlite3"), kinds: [ImageGenerationTaskKind.schema, ProductCouponKind.schema]
        ).close()
        connection = try SQLiteConnection(path: directory.file("watcher.sqlite3"))
        connection.setBusyTimeout(milliseconds: 5_000)
    }

    deinit {
        connection.close()
        directory.remove()
    }

    static func daysAgo(_ days: Double) -> String { Timestamp.rfc3339(now.addingTimeInterval(-days * 86_400)) }

    /// An image task in `state`, final `completedDaysAgo` days ago (nil: never final), with `transitions`
    /// transitions `transitionDaysAgo` days ago.
    func task(
        _ id: String, merchant: String = "1900000001", state: String, completedDaysAgo: Double?,
        transitions: Int = 2, transitionDaysAgo: Double? = nil, detail: String? = nil
    ) throws {
        try connection.run(
            """
            INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type, state,
              completed_at) VALUES (?, ?, '120344', 'CUT_OUT', ?, ?)
            """,
            [.text(merchant), .text(id), .text(state), completedDaysAgo.map { .text(Self.daysAgo($0)) } ?? .null])
        try history(
            "image_generation_task", merchant, id, transitions, transitionDaysAgo ?? completedDaysAgo ?? 1,
            detail: detail)
    }

    /// A product coupon, as ``task(_:merchant:state:completedDaysAgo:transitions:transitionDaysAgo:detail:)``.
    func coupon(_ id: String, state: String, completedDaysAgo: Double?, transitions: Int = 2) throws {
        try connection.run(
            "INSERT INTO product_coupons (merchant_id, product_coupon_id, brand_id, state, completed_at) VALUES ('1900000001', ?, '120344', ?, ?)",
            [.text(id), .text(state), completedDaysAgo.map { .text(Self.daysAgo($0)) } ?? .null])
        try history("product_coupon", "1900000001", id, transitions, completedDaysAgo ?? 1, detail: nil)
    }

    private func history(
        _ resource: String, _ merchant: String, _ id: String, _ count: Int, _ daysAgo: Double, detail: String?
    ) throws {
        for index in 0..<count {
            try connection.run(
                """
                INSERT INTO state_transitions (resource, merchant_id, resource_id, from_state, to_state, at, detail)
                VALUES (?, ?, ?, 'PENDING', 'PROCESSING', ?, ?)
                """,
                [
                    .text(resource), .text(merchant), .text(id), .text(Self.daysAgo(daysAgo - Double(index) / 1_000)),
                    detail.map { .text($0) } ?? .null,
                ])
        }
    }

    /// A pruner; without pauses unless `pacedAsInTheDaemon`.
    func pruner(finalRowDays: Int, transitionDays: Int = 0, pacedAsInTheDaemon: Bool = false) throws
        -> RetentionPruner
    {
        var policy = RetentionPolicy(finalRowDays: finalRowDays, transitionDays: transitionDays)
        if !pacedAsInTheDaemon { policy.pause = 0 }
        return RetentionPruner(
            store: try RetentionStore(path: path), tables: Self.tables, policy: policy,
            clock: FixedWallClock(Self.now), logger: Logger(sink: sink))
    }

    /// `merchant/id` of every row left, per table, sorted.
    func ids(_ table: String, _ column: String) throws -> [String] {
        try connection.query("SELECT merchant_id, \(column) FROM \(table) ORDER BY merchant_id, \(column)").map {
            ($0[0].stringValue ?? "") + "/" + ($0[1].stringValue ?? "")
        }
    }

    /// `resource merchant/id` of every transition left, with repeats, sorted.
    func transitionOwners() throws -> [String] {
        try connection.query("SELECT resource, merchant_id, resource_id FROM state_transitions ORDER BY 1, 2, 3, id")
            .map { "\($0[0].stringValue ?? "") \($0[1].stringValue ?? "")/\($0[2].stringValue ?? "")" }
    }

    func pragma(_ name: String) throws -> Int { Int(try connection.scalar("PRAGMA \(name)").int64Value ?? 0) }
}

@Suite("Retention: final rows and history are deleted only when the operator chose a period")
struct RetentionPrunerTests {
    @Test("rows final for longer than final_row_days go with their transitions; nothing else does")
    func expiredRowsGo() async throws {
        let fixture = try RetentionFixture()
        try fixture.task("old_success", state: "SUCCESS", completedDaysAgo: 31)
        try fixture.task("old_rejected", state: "REJECTED", completedDaysAgo: 400, transitions: 1)
        try fixture.task("recent_fail", state: "FAIL", completedDaysAgo: 29)
        try fixture.task("old_success", merchant: "1900000002", state: "SUCCESS", completedDaysAgo: 2)
        try fixture.task(
            "processing", state: "PROCESSING", completedDaysAgo: nil, transitions: 1, transitionDaysAgo: 60)
        try fixture.coupon("1000000001", state: "DEACTIVATED", completedDaysAgo: 45)
        try fixture.coupon("1000000002", state: "AUDITING", completedDaysAgo: nil, transitions: 1)
        let pruner = try fixture.pruner(finalRowDays: 30)
        defer { pruner.close() }

        let pass = try await pruner.pass()

        #expect(pass.counts.rows == ["image_generation_task": 2, "product_coupon": 1])
        #expect(pass.counts.transitions == 5)
        #expect(
            try fixture.ids("image_generation_tasks", "task_id") == [
                "1900000001/processing", "1900000001/recent_fail", "1900000002/old_success",
            ])
        #expect(try fixture.ids("product_coupons", "product_coupon_id") == ["1900000001/1000000002"])
        #expect(
            try fixture.transitionOwners() == [
                "image_generation_task 1900000001/processing",
                "image_generation_task 1900000001/recent_fail", "image_generation_task 1900000001/recent_fail",
                "image_generation_task 1900000002/old_success", "image_generation_task 1900000002/old_success",
                "product_coupon 1900000001/1000000002",
            ])
        let logged = fixture.sink.records(named: "retention.pruned")
        #expect(logged.count == 1)
        #expect(fixture.sink.lines.last?.contains("retention.pruned rows=3 transitions=5") == true)
    }

    @Test("a final row whose merchant or id a producer wrote as a BLOB goes too (REJECTED for it)")
    func blobRowsGo() async throws {
        let fixture = try RetentionFixture()
        try fixture.task("blob_merchant", state: "REJECTED", completedDaysAgo: 40, transitions: 1)
        try fixture.task("blob_task_id", state: "REJECTED", completedDaysAgo: 40, transitions: 1)
        try fixture.task("recent_blob", state: "REJECTED", completedDaysAgo: 2, transitions: 1)
        try fixture.connection.run(
            "UPDATE image_generation_tasks SET merchant_id = CAST(merchant_id AS BLOB) WHERE task_id = 'blob_merchant'")
        try fixture.connection.run(
            "UPDATE image_generation_tasks SET task_id = CAST(task_id AS BLOB) WHERE task_id IN ('blob_task_id', 'recent_blob')"
        )
        let pruner = try fixture.pruner(finalRowDays: 30)
        defer { pruner.close() }

        let pass = try await pruner.pass()

        #expect(pass.counts.rows == ["image_generation_task": 2])
        let left = try fixture.connection.query("SELECT CAST(task_id AS TEXT) FROM image_generation_tasks")
        #expect(left.map { $0[0].stringValue } == ["recent_blob"])
    }

    @Test(
        "a row a producer made final itself, with no completed_at, counts as final from updated_at, else created_at")
    func finalWithoutCompletedAt() async throws {
        let fixture = try RetentionFixture()
        for id in ["inserted_old", "inserted_recent", "stopped_old", "stopped_recent", "unix_seconds_old"] {
            try fixture.task(id, state: "FAIL", completedDaysAgo: nil, transitions: 1, transitionDaysAgo: 1)
        }
        let dated: [(String, String, SQLiteValue)] = [
            ("inserted_old", "created_at", .text(RetentionFixture.daysAgo(40))),
            ("inserted_recent", "created_at", .text(RetentionFixture.daysAgo(3))),
            ("stopped_old", "updated_at", .text(RetentionFixture.daysAgo(35))),
            ("stopped_recent", "updated_at", .text(RetentionFixture.daysAgo(5))),
            (
                "unix_seconds_old", "created_at",
                .integer(Int64(RetentionFixture.now.timeIntervalSince1970) - 50 * 86_400)
            ),
        ]
        for (id, column, value) in dated {
            try fixture.connection.run(
                "UPDATE image_generation_tasks SET \(column) = ? WHERE task_id = ?", [value, .text(id)])
        }
        // Created long ago, but its last write (the daemon's or the producer's) is recent: kept.
        try fixture.connection.run(
            "UPDATE image_generation_tasks SET created_at = ? WHERE task_id = 'stopped_recent'",
            [.text(RetentionFixture.daysAgo(90))])
        let pruner = try fixture.pruner(finalRowDays: 30)
        defer { pruner.close() }

        let pass = try await pruner.pass()

        #expect(pass.counts.rows == ["image_generation_task": 3])
        #expect(
            try fixture.ids("image_generation_tasks", "task_id") == [
                "1900000001/inserted_recent", "1900000001/stopped_recent",
            ])
    }

    @Test("the oldest final row reported is one without completed_at when it is older")
    func oldestFinalWithoutCompletedAt() throws {
        let fixture = try RetentionFixture()
        let table = ImageGenerationTaskKind().table
        try fixture.task("completed", state: "SUCCESS", completedDaysAgo: 10)
        #expect(try Retention.oldestFinal(table, on: fixture.connection) == RetentionFixture.daysAgo(10))
        try fixture.task("inserted_final", state: "FAIL", completedDaysAgo: nil)
        try fixture.connection.run(
            "UPDATE image_generation_tasks SET created_at = ? WHERE task_id = 'inserted_final'",
            [.text(RetentionFixture.daysAgo(20))])

        #expect(try Retention.oldestFinal(table, on: fixture.connection) == RetentionFixture.daysAgo(20))
    }

    @Test("with both periods 0 (the default) nothing is ever deleted")
    func zeroKeepsEverything() async throws {
        let fixture = try RetentionFixture()
        try fixture.task("ancient", state: "SUCCESS", completedDaysAgo: 10_000)
        try fixture.coupon("1000000001", state: "EFFECTIVE", completedDaysAgo: 10_000)
        let policy = RetentionPolicy(finalRowDays: 0, transitionDays: 0)
        #expect(policy.keepsEverything)
        let pruner = try fixture.pruner(finalRowDays: 0, transitionDays: 0)
        defer { pruner.close() }

        let pass = try await pruner.pass()

        #expect(pass.counts == PruneCounts())
        #expect(try fixture.ids("image_generation_tasks", "task_id") == ["1900000001/ancient"])
        #expect(try fixture.ids("product_coupons", "product_coupon_id") == ["1900000001/1000000001"])
        #expect(try fixture.transitionOwners().count == 4)
    }

    @Test("a row a producer set back to PENDING is kept however long ago it was first final")
    func pendingAgainIsKept() async throws {
        let fixture = try RetentionFixture()
        try fixture.coupon("1000000001", state: "EFFECTIVE", completedDaysAgo: 90)
        try fixture.connection.run(
            "UPDATE product_coupons SET state = 'PENDING' WHERE product_coupon_id = '1000000001'")
        try fixture.task("watched_again", state: "PENDING", completedDaysAgo: 90)
        let pruner = try fixture.pruner(finalRowDays: 30)
        defer { pruner.close() }

        let pass = try await pruner.pass()

        #expect(pass.counts.totalRows == 0)
        #expect(try fixture.ids("product_coupons", "product_coupon_id") == ["1900000001/1000000001"])
        #expect(try fixture.ids("image_generation_tasks", "task_id") == ["1900000001/watched_again"])
        #expect(try fixture.transitionOwners().count == 4)
    }

    @Test("a row set back to PENDING between the search and the delete is not deleted")
    func resetDuringThePassIsKept() throws {
        let fixture = try RetentionFixture()
        try fixture.coupon("1000000001", state: "EFFECTIVE", completedDaysAgo: 90)
        let table = ProductCouponKind().table
        let cutoff = RetentionFixture.now.addingTimeInterval(-30 * 86_400)
        let found = try Retention.expiredRows(table, before: cutoff, after: 0, limit: 10, on: fixture.connection)
        #expect(found.map(\.resourceID) == ["1000000001"])
        try fixture.connection.run("UPDATE product_coupons SET state = 'PENDING'")

        let counts = try Retention.delete(found, of: table, before: cutoff, on: fixture.connection)

        #expect(counts == PruneCounts())
        #expect(try fixture.transitionOwners().count == 2)
    }

    @Test("transition_days deletes old history of rows that are kept, and only the old part")
    func oldHistoryOfKeptRowsGoes() async throws {
        let fixture = try RetentionFixture()
        try fixture.task(
            "long_running", state: "PROCESSING", completedDaysAgo: nil, transitions: 3, transitionDaysAgo: 10)
        try fixture.task("recent", state: "SUCCESS", completedDaysAgo: 3, transitions: 2)
        let pruner = try fixture.pruner(finalRowDays: 0, transitionDays: 7)
        defer { pruner.close() }

        let pass = try await pruner.pass()

        #expect(pass.counts.totalRows == 0)
        #expect(pass.counts.transitions == 3)
        #expect(try fixture.ids("image_generation_tasks", "task_id").count == 2)
        #expect(
            try fixture.transitionOwners() == [
                "image_generation_task 1900000001/recent", "image_generation_task 1900000001/recent",
            ])
    }

    @Test("a dry run deletes nothing and counts exactly what the pass then deletes")
    func dryRunCountsThePass() async throws {
        let fixture = try RetentionFixture()
        for index in 0..<450 {
            try fixture.task(String(format: "old_%04d", index), state: "SUCCESS", completedDaysAgo: 40, transitions: 3)
        }
        try fixture.task("kept", state: "SUCCESS", completedDaysAgo: 1, transitions: 2, transitionDaysAgo: 20)
        try fixture.coupon("1000000001", state: "EXPIRED", completedDaysAgo: 35)
        let pruner = try fixture.pruner(finalRowDays: 30, transitionDays: 14)
        defer { pruner.close() }

        let dryRun = try await pruner.pass(dryRun: true)
        #expect(try fixture.transitionOwners().count == 450 * 3 + 2 + 2)
        #expect(fixture.sink.records(named: "retention.pruned").isEmpty)
        let pass = try await pruner.pass()

        #expect(dryRun.counts == pass.counts)
        #expect(pass.counts.rows == ["image_generation_task": 450, "product_coupon": 1])
        #expect(pass.counts.transitions == 450 * 3 + 2 + 2)
        #expect(try fixture.transitionOwners().isEmpty)
    }

    @Test("the file shrinks: pruned pages go back to the file system through incremental vacuum")
    func fileShrinks() async throws {
        let fixture = try RetentionFixture()
        #expect(try fixture.connection.scalar("PRAGMA auto_vacuum") == .integer(2))
        let detail = String(repeating: "https://example.com/image/", count: 20)
        try fixture.connection.transaction {
            for index in 0..<3_000 {
                try fixture.task(
                    String(format: "old_%05d", index), state: "SUCCESS", completedDaysAgo: 60, transitions: 3,
                    detail: detail)
            }
            try fixture.task("kept", state: "SUCCESS", completedDaysAgo: 1)
        }
        try fixture.connection.run("PRAGMA wal_checkpoint(TRUNCATE)")
        let pagesBefore = try fixture.pragma("page_count")
        let bytesBefore = try fileSize(fixture.path)
        let pruner = try fixture.pruner(finalRowDays: 30)
        defer { pruner.close() }

        let pass = try await pruner.pass()
        try fixture.connection.run("PRAGMA wal_checkpoint(TRUNCATE)")

        let pagesAfter = try fixture.pragma("page_count")
        #expect(pass.counts.totalRows == 3_000)
        #expect(pass.freedPages > 0)
        #expect(try fixture.pragma("freelist_count") == 0)
        #expect(pagesAfter <= pagesBefore - pass.freedPages)
        #expect(pagesAfter * 4 < pagesBefore)
        #expect(try fileSize(fixture.path) == pagesAfter * fixture.pragma("page_size"))
        #expect(try fileSize(fixture.path) < bytesBefore)
    }

    @Test("a producer inserting from another connection while a large prune runs waits only for one batch")
    func producerDuringALargePrune() async throws {
        let fixture = try RetentionFixture()
        try fixture.connection.transaction {
            for index in 0..<3_000 {
                try fixture.task(String(format: "old_%06d", index), state: "SUCCESS", completedDaysAgo: 60)
            }
        }
        let pruner = try fixture.pruner(finalRowDays: 30, pacedAsInTheDaemon: true)
        defer { pruner.close() }
        let producer = ProducerThread(path: fixture.path)

        let pass = try await pruner.pass()
        let waits = producer.stop()

        #expect(pass.counts.rows["image_generation_task"] == 3_000)
        #expect(producer.failures.isEmpty, "\(producer.failures)")
        #expect(!waits.isEmpty)
        #expect(try fixture.ids("image_generation_tasks", "task_id").count == waits.count)
        let sorted = waits.sorted()
        let p99 = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
        print(
            "retention: producer inserted \(waits.count) rows during a prune of 3000 rows "
                + "(\(String(format: "%.2f", pass.seconds)) s); lock wait max \(milliseconds(sorted.last ?? 0)) ms, "
                + "p99 \(milliseconds(p99)) ms (the bound we aim for is 50 ms)")
    }

    private func fileSize(_ path: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
    }

    private func milliseconds(_ seconds: Double) -> String { String(format: "%.1f", seconds * 1_000) }
}

/// A producer on its own thread (its SQLite calls block), inserting one row per transaction every millisecond
/// and timing how long each `BEGIN IMMEDIATE` … `COMMIT` takes.
private final class ProducerThread: @unchecked Sendable {
    // @unchecked Sendable: `waits` and `failures` are written by the thread only, and read only after `stop()`
    // has joined it through the `finished` semaphore; `stopping` is behind a lock.
    private let stopping = Locked(false)
    private let finished = DispatchSemaphore(value: 0)
    private(set) var waits: [Double] = []
    private(set) var failures: [String] = []

    init(path: String) {
        let thread = Thread { [self] in
            produce(path: path)
            finished.signal()
        }
        thread.start()
    }

    private func produce(path: String) {
        do {
            let connection = try SQLiteConnection(path: path)
            defer { connection.close() }
            connection.setBusyTimeout(milliseconds: 5_000)
            var index = 0
            while !stopping.withLock({ $0 }) {
                let started = DispatchTime.now().uptimeNanoseconds
                try connection.transaction {
                    try connection.run(
                        "INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type) VALUES ('1900000009', ?, '120344', 'CUT_OUT')",
                        [.text(String(format: "new_%06d", index))])
                }
                waits.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
                index += 1
                usleep(1_000)
            }
        } catch {
            failures.append(String(describing: error))
        }
    }

    /// Stops the thread and returns the waits it measured.
    func stop() -> [Double] {
        stopping.withLock { $0 = true }
        finished.wait()
        return waits
    }
}
