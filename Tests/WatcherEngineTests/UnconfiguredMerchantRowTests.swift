import Foundation
import Testing
import WatcherTestSupport

@Suite("Engine: scheduled rows of a merchant the configuration does not name are reported, not polled")
struct UnconfiguredMerchantRowTests {
    @Test(
        "rows with next_poll_at set for an unconfigured merchant are named once with their count and kept as they are"
    )
    func reportedOnceAndKept() async throws {
        let harness = try EngineHarness()
        harness.start()
        await harness.advance(limit: 5) { false }
        // As a producer that schedules rows itself, or rows left by a merchant removed from the configuration.
        try harness.execute(
            """
            INSERT INTO image_generation_tasks
              (merchant_id, task_id, brand_id, image_generation_type, state, next_poll_at)
            VALUES ('1900009999', 'task_gone_1', '120344', 'COMBINE_IMAGE', 'PENDING', 0),
                   ('1900009999', 'task_gone_2', '120344', 'COMBINE_IMAGE', 'PROCESSING', 0),
                   ('\(EngineHarness.merchantID)', 'task_scheduled', '120344', 'COMBINE_IMAGE', 'PENDING', 0)
            """)
        let reported = try await harness.advance(limit: 90) {
            let polled = try harness.rows()["task_scheduled"]?.state == "SUCCESS"
            return polled && !harness.logs.records(named: "rows.merchant_not_configured").isEmpty
        }
        #expect(reported, "log: \(harness.logs.lines.suffix(5))")
        try harness.execute(
            """
            INSERT INTO image_generation_tasks
              (merchant_id, task_id, brand_id, image_generation_type, state, next_poll_at)
            VALUES ('1900009999', 'task_gone_3', '120344', 'COMBINE_IMAGE', 'PENDING', 0)
            """)
        await harness.advance(limit: 70) { false }

        let records = harness.logs.records(named: "rows.merchant_not_configured")
        #expect(records.count == 1, "each merchant is named once per run")
        let fields = Dictionary(records.first?.fields.map { ($0.key, "\($0.value)") } ?? []) { first, _ in first }
        #expect(fields["merchant"]?.contains("1900009999") == true, "\(fields)")
        #expect(fields["active_rows"]?.contains("2") == true, "\(fields)")
        let rows = try harness.rows()
        #expect(rows["task_gone_1"]?.state == "PENDING")
        #expect(rows["task_gone_2"]?.state == "PROCESSING")
        #expect(!harness.sentIDs.contains("task_gone_1") && !harness.sentIDs.contains("task_gone_2"))
        harness.engine.stop()
        #expect(await harness.advance { harness.result != nil })
    }
}
