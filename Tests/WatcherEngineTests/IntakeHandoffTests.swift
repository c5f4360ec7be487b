import Foundation
import Testing
import WatcherEngine
import WatcherTestSupport

@Suite("Intake hands committed new rows to their lane")
struct IntakeHandoffTests {
    @Test("rows inserted in batches while others wait are each polled once, batch after batch, in insertion order")
    func batchesInOrder() async throws {
        let harness = try EngineHarness(requestsPerSecond: 1)
        let batches = ["a", "b", "c"].map { batch in (1...4).map { "task_\(batch)\($0)" } }
        try harness.insert(batches[0])
        harness.start()
        #expect(await harness.advance { harness.sentIDs.count >= 1 })
        try harness.insert(batches[1])
        #expect(await harness.advance { harness.sentIDs.count >= 2 })
        try harness.insert(batches[2])
        let done = try await harness.advance { try harness.rows().values.allSatisfy { $0.state == "SUCCESS" } }
        harness.engine.stop()
        await harness.advance { harness.result != nil }
        #expect(done)
        #expect(harness.sentIDs == batches.flatMap { $0 })
    }

    @Test("a new row goes ahead of re-polls already due, and each row is polled once per turn, never twice")
    func aheadOfRepolls() async throws {
        let harness = try EngineHarness(
            requestsPerSecond: 1, scheduler: FixedIntervalScheduler(interval: 0)
        ) { id in EngineHarness.body(id, id.hasPrefix("task_new") ? "SUCCESS" : "PROCESSING") }
        try harness.insert(["task_old1", "task_old2"])
        harness.start()
        #expect(await harness.advance { harness.sentIDs.count >= 4 })
        try harness.insert(["task_new1", "task_new2"])
        let sentBefore = harness.sentIDs.count
        #expect(try await harness.advance { try harness.rows()["task_new2"]?.state == "SUCCESS" })
        harness.engine.stop()
        await harness.advance { harness.result != nil }
        let after = Array(harness.sentIDs[sentBefore...])
        let first = try #require(after.firstIndex(of: "task_new1"))
        // Intake notices a row within 0.1 s; at 1 request per second at most the permit already taken goes first.
        #expect(first <= 1, "\(after)")
        #expect(after[first + 1] == "task_new2", "\(after)")
        #expect(harness.sentIDs.filter { $0.hasPrefix("task_new") } == ["task_new1", "task_new2"])
    }
}
