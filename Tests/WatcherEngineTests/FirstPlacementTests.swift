import Foundation
import Testing
import WatcherEngine
import WatcherSQLite

/// Places the first poll of every row whose id starts with `late` five seconds after its first sight, free to go
/// from then on; re-polls as the sweep places them.
private struct LateFirstPollScheduler: PollScheduler {
    static let wait = 5.0
    var name: String { "late-first-poll" }

    func nextPollTime(_ context: ScheduleContext) -> Double { context.now + 1 }

    func firstPlacement(_ context: ScheduleContext) -> Placement? {
        guard context.row.resourceID.hasPrefix("late") else { return nil }
        return Placement(dueAt: context.now + Self.wait, earlyBy: Self.wait)
    }
}

@Suite("A new row the scheduler places later, in the running engine")
struct FirstPlacementTests {
    @Test("with nothing else due, it is polled at once: the placement only gives way to rows that are due")
    func atOnceWhenIdle() async throws {
        let harness = try EngineHarness(scheduler: LateFirstPollScheduler())
        try harness.insert(["late_1"])
        harness.start()
        let polled = await harness.advance(limit: 1) { harness.sentIDs.contains("late_1") }
        harness.engine.stop()
        await harness.advance { harness.result != nil }
        #expect(polled, "polled within 1 s of simulated time although placed \(LateFirstPollScheduler.wait) s on")
    }

    @Test(
        "while re-polls take every token, it waits for its place (kept in the database), and then goes in due order")
    func waitsWhileBusy() async throws {
        let harness = try EngineHarness(scheduler: LateFirstPollScheduler()) { id in
            EngineHarness.body(id, id.hasPrefix("late") ? "SUCCESS" : "PROCESSING")
        }
        // 60 rows due every second against a budget of 20 a second: some row is always due.
        let busy = (1...60).map { "busy_\($0)" }
        try harness.insert(busy)
        harness.start()
        #expect(await harness.advance { Set(harness.sentIDs).isSuperset(of: busy) })
        try harness.insert(["late_1"])
        let start = harness.clock.monotonicNow()
        let seen = try await harness.advance { try firstSeen(harness, "late_1") != nil }
        let placed = try #require(try firstSeen(harness, "late_1"))
        #expect(seen)
        #expect(
            placed.nextPollAt >= placed.firstSeenAt + LateFirstPollScheduler.wait - 1e-6,
            "the database keeps the placement, so a restart keeps it too")
        let done = try await harness.advance(limit: 30) { try harness.rows()["late_1"]?.state == "SUCCESS" }
        harness.engine.stop()
        await harness.advance { harness.result != nil }
        #expect(done)
        let sent = harness.sent
        let late = try #require(sent.first { $0.id == "late_1" })
        #expect(
            late.at >= start + LateFirstPollScheduler.wait - 1e-6,
            "not before its place: sent \(late.at - start) s after the insert")
        let before = sent.filter { $0.at >= start && $0.at < late.at }.count
        #expect(before >= 80, "the re-polls due before it went first: \(before) of them")
    }

    /// The row's first sight and next poll time as intake wrote them, once it has seen the row.
    private func firstSeen(_ harness: EngineHarness, _ id: String) throws -> (firstSeenAt: Double, nextPollAt: Double)?
    {
        let connection = try SQLiteConnection(path: harness.store.path, mode: .readOnly)
        defer { connection.close() }
        let rows = try connection.query(
            "SELECT first_seen_at, next_poll_at FROM image_generation_tasks WHERE task_id = ?", [.text(id)])
        guard let row = rows.first, let seen = row[0].doubleValue, let next = row[1].doubleValue else { return nil }
        return (seen, next)
    }
}
