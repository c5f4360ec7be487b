import Foundation
import Testing
import WatcherSQLite
import WatcherStore

@Suite("Activity tables: what the daemon records and `status` reads back")
struct ActivityTablesTests {
    let start = Date(timeIntervalSince1970: 1_795_852_800)  // 2026-11-28T08:00:00Z

    func report(_ fixture: StoreFixture, now: Date) throws -> StatusReport {
        let connection = try SQLiteConnection(path: fixture.path, mode: .readOnly)
        defer { connection.close() }
        return try StatusReport.load(from: connection, tables: [imageTasks], now: now)
    }

    @Test("a start, two records in one minute and a clean stop read back as one rate and a stopped process")
    func roundTrip() async throws {
        let fixture = try StoreFixture()
        try await fixture.store.recordStart(pid: 42, hostname: "host", version: "1.0", at: start)
        let counts = ActivityCounts(
            merchantID: "1900000001", resource: "image_generation_task", requests: 30, throttled: 1, failures: 2)
        try await fixture.store.record(
            ActivityRecord(
                at: start.addingTimeInterval(5), counts: [counts], newError: nil, status: "a", isFinal: false))
        try await fixture.store.record(
            ActivityRecord(
                at: start.addingTimeInterval(10), counts: [counts], newError: "disk on fire", status: "pending=0",
                isFinal: true))

        let status = try report(fixture, now: start.addingTimeInterval(60))
        let rate = try #require(status.rates.first)
        #expect(status.rates.count == 1)
        #expect(rate.requests == 60 && rate.throttled == 2 && rate.failures == 4)
        #expect(rate.requestsPerSecond == 0.2)
        #expect(status.recentErrors.map(\.message) == ["disk on fire"])
        #expect(status.process?.pid == 42)
        #expect(status.process?.startedAt == "2026-11-28T08:00:00.000Z")
        #expect(status.process?.heartbeatAt == "2026-11-28T08:00:10.000Z")
        #expect(status.process?.stoppedAt == "2026-11-28T08:00:10.000Z")
        #expect(status.process?.status == "pending=0")
    }

    @Test("a new start clears the previous stop; a process without a process row writes only the counts")
    func restart() async throws {
        let fixture = try StoreFixture()
        try await fixture.store.recordStart(pid: 1, hostname: "host", version: "1.0", at: start)
        try await fixture.store.record(
            ActivityRecord(at: start, counts: [], newError: nil, status: "old", isFinal: true))
        try await fixture.store.recordStart(pid: 2, hostname: "host", version: "1.1", at: start.addingTimeInterval(1))
        try await fixture.store.record(
            ActivityRecord(at: start.addingTimeInterval(2), counts: [], newError: nil, status: nil, isFinal: false))
        let process = try #require(try report(fixture, now: start).process)
        #expect(process.pid == 2)
        #expect(process.stoppedAt == nil)
        #expect(process.status == "starting")
    }

    @Test("activity older than two days is dropped as new activity is written")
    func oldActivityDropped() async throws {
        let fixture = try StoreFixture()
        let counts = ActivityCounts(
            merchantID: "1900000001", resource: "image_generation_task", requests: 1, throttled: 0, failures: 0)
        try await fixture.store.record(
            ActivityRecord(at: start, counts: [counts], newError: nil, status: nil, isFinal: false))
        try await fixture.store.record(
            ActivityRecord(
                at: start.addingTimeInterval(3 * 86_400), counts: [counts], newError: nil, status: nil, isFinal: false))
        #expect(try fixture.scalar("SELECT count(*) FROM watcher_activity") == .integer(1))
    }
}

@Suite("Producer inserts, counts and outcomes through the store's typed methods")
struct ProducerRowTests {
    @Test("a producer's insert leaves the row PENDING for intake; a second one reports the existing row's state")
    func duplicate() async throws {
        let fixture = try StoreFixture()
        let row = QueuedRow(
            rowID: 0, merchantID: "1900000001", resourceID: "task_000001", brandID: "120344",
            parameters: ["image_generation_type": "CUT_OUT"], state: "PENDING")
        #expect(try await fixture.store.insertAsProducer([row], into: imageTasks) == [.inserted])
        let inserted = try #require(try await fixture.store.newRows(imageTasks, limit: 10).first)
        var update = RowUpdate(row: inserted, table: imageTasks, at: Date())
        update.newState = "PROCESSING"
        _ = try await fixture.store.apply([update])
        #expect(try await fixture.store.insertAsProducer([row], into: imageTasks) == [.duplicate(state: "PROCESSING")])
        #expect(try await fixture.store.stateCounts(imageTasks) == ["PROCESSING": 1])
        let outcome = try #require(try await fixture.store.outcomes(imageTasks).first)
        #expect(outcome.row.resourceID == "task_000001")
        #expect(outcome.row.parameters == ["image_generation_type": "CUT_OUT"])
        #expect(outcome.transitions == ["PROCESSING"])
    }
}
