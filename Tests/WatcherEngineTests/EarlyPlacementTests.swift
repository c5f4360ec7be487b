import Foundation
import Testing
import WatcherEngine
import WatcherSync

/// Places every row a minute later, but lets it go from one second on; counts how often it is asked.
private final class EarlyScheduler: PollScheduler, Sendable {
    let asked = Locked(0)
    var name: String { "early" }

    func nextPollTime(_ context: ScheduleContext) -> Double { placement(context).dueAt }

    func placement(_ context: ScheduleContext) -> Placement {
        asked.withLock { $0 += 1 }
        return Placement(dueAt: context.now + 60, earlyBy: 59)
    }
}

@Suite("A row placed late but allowed early, in the running engine")
struct EarlyPlacementTests {
    @Test("with nothing else due, the lane polls it as soon as its allowance begins, not at its due time")
    func earlyWhenIdle() async throws {
        let scheduler = EarlyScheduler()
        let harness = try EngineHarness(scheduler: scheduler) { id in EngineHarness.body(id, "PROCESSING") }
        try harness.insert(["task_slow"])
        harness.start()
        let polledOften = await harness.advance(limit: 30) { harness.sentIDs.count >= 4 }
        harness.engine.stop()
        await harness.advance { harness.result != nil }
        #expect(
            polledOften, "4 polls within 30 s: \(harness.sentIDs.count) (placed a minute apart without the allowance)")
    }

    @Test("the scheduler is asked only about rows still unfinished")
    func askedOnlyWhenUnfinished() async throws {
        let scheduler = EarlyScheduler()
        let harness = try EngineHarness(scheduler: scheduler)
        try harness.insert(["task_a", "task_b", "task_c"])
        harness.start()
        let done = try await harness.advance { try harness.rows().values.allSatisfy { $0.state == "SUCCESS" } }
        harness.engine.stop()
        await harness.advance { harness.result != nil }
        #expect(done)
        #expect(scheduler.asked.withLock { $0 } == 0)
    }
}
