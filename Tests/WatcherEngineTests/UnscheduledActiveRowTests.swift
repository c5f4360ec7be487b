import Foundation
import Testing
import WatcherTestSupport

@Suite("Engine: rows inserted in an active state other than PENDING are watched too")
struct UnscheduledActiveRowTests {
    @Test(
        "a row inserted as PROCESSING with no next_poll_at is polled to SUCCESS; one of an unknown merchant is REJECTED"
    )
    func processingRowIsAdmitted() async throws {
        let harness = try EngineHarness()
        harness.start()
        await harness.advance(limit: 5) { false }
        try harness.execute(
            """
            INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type, state)
            VALUES ('\(EngineHarness.merchantID)', 'task_processing', '120344', 'COMBINE_IMAGE', 'PROCESSING'),
                   ('1900009999', 'task_stranger', '120344', 'COMBINE_IMAGE', 'PROCESSING')
            """)
        let settled = try await harness.advance(limit: 60) {
            let rows = try harness.rows()
            return rows["task_processing"]?.state == "SUCCESS" && rows["task_stranger"]?.state == "REJECTED"
        }
        let rows = try harness.rows()
        #expect(settled, "states: \(rows.mapValues(\.state))")
        #expect(rows["task_stranger"]?.error?.contains("1900009999") == true, "\(rows["task_stranger"]?.error ?? "")")
        #expect(harness.sentIDs.contains("task_processing"))
        harness.engine.stop()
        #expect(await harness.advance { harness.result != nil })
    }
}
