import Foundation
import Testing
import WatcherSync
import WatcherTestSupport

@Suite("Engine: a row watched again starts without its previous watch's bookkeeping")
struct RewatchTests {
    /// The README's re-watch: back to `PENDING`, the deadline counting from now.
    static let rewatch = """
        UPDATE image_generation_tasks SET state = 'PENDING', next_poll_at = NULL,
          created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE task_id = 'task_1'
        """

    @Test("a row rejected for an empty brand, fixed and watched again, ends SUCCESS with no error left")
    func fixedRowLosesItsError() async throws {
        let harness = try EngineHarness()
        try harness.insert(["task_1"])
        try harness.execute("UPDATE image_generation_tasks SET brand_id = '' WHERE task_id = 'task_1'")
        harness.start()
        #expect(try await harness.advance(limit: 30) { try harness.rows()["task_1"]?.state == "REJECTED" })
        #expect(try harness.rows()["task_1"]?.error != nil)
        try harness.execute(
            "UPDATE image_generation_tasks SET brand_id = '120344' WHERE task_id = 'task_1'; " + Self.rewatch)
        #expect(try await harness.advance(limit: 30) { try harness.rows()["task_1"]?.state == "SUCCESS" })
        let row = try harness.rows()["task_1"]
        #expect(row?.error == nil, "left over: \(row?.error ?? "")")
        harness.engine.stop()
        #expect(await harness.advance { harness.result != nil })
    }

    @Test("a row rejected after the 404 grace and watched again gets the whole grace again")
    func notFoundGraceStartsAgain() async throws {
        let missing = Locked(true)
        let harness = try EngineHarness(outage: { _ in
            missing.withLock { $0 } ? .success(SignedAnswers.error(404, code: "RESOURCE_NOT_EXISTS")) : nil
        })
        try harness.insert(["task_1"])
        harness.start()
        #expect(try await harness.advance(limit: 200) { try harness.rows()["task_1"]?.state == "REJECTED" })
        try harness.execute(Self.rewatch)
        let sentBefore = harness.sentIDs.count
        // Two more 404s, well inside a fresh grace: the row is still watched.
        #expect(await harness.advance(limit: 30) { harness.sentIDs.count >= sentBefore + 2 })
        #expect(try harness.rows()["task_1"]?.state == "PENDING")
        missing.withLock { $0 = false }
        #expect(try await harness.advance(limit: 60) { try harness.rows()["task_1"]?.state == "SUCCESS" })
        #expect(try harness.rows()["task_1"]?.error == nil)
        harness.engine.stop()
        #expect(await harness.advance { harness.result != nil })
    }
}
