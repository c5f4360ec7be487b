import Foundation
import ImageGenerationTasks
import Testing
import WatcherEngine
import WatcherSQLite
import WatcherStore
import WatcherTestSupport

@Suite("A third resource kind, registered where the program lists its kinds and nowhere else")
struct ThirdKindTests {
    @Test("its own migrations build its table beside the others, and the engine watches its rows to the end")
    func migratedAndPolled() async throws {
        let harness = try EngineHarness(
            requestsPerSecond: 5, kinds: [ImageGenerationTaskKind(), ReportKind()]
        ) { id in
            id.hasPrefix("report_") ? ReportKind.body(id, "DONE") : EngineHarness.body(id, "SUCCESS")
        }
        let connection = try SQLiteConnection(path: harness.store.path, mode: .readOnly)
        defer { connection.close() }
        #expect(
            try connection.scalar("SELECT version FROM kind_migrations WHERE resource = 'report'") == .integer(2))

        let reports = ["report_1", "report_2", "report_3"].map { id in
            QueuedRow(
                rowID: 0, merchantID: EngineHarness.merchantID, resourceID: id, brandID: "120344",
                state: LocalState.pending)
        }
        #expect(
            try await harness.store.insertAsProducer(reports, into: ReportKind.table) == [
                .inserted, .inserted, .inserted,
            ])
        try harness.insert(["task_001"])
        harness.start()
        let done = try await harness.advance {
            try connection.scalar("SELECT count(*) FROM reports WHERE state = 'DONE'") == .integer(3)
                && harness.rows()["task_001"]?.state == "SUCCESS"
        }
        harness.engine.stop()
        await harness.advance { harness.result != nil }

        #expect(done)
        let outcomes = try await harness.store.outcomes(ReportKind.table)
        #expect(outcomes.map(\.row.resourceID) == ["report_1", "report_2", "report_3"])
        #expect(outcomes.map(\.transitions) == [["DONE"], ["DONE"], ["DONE"]])
        #expect(outcomes.first?.results == ["report_url": "https://reports.example/report_1.pdf"])
        #expect(harness.statistics.snapshot(at: 0, wallNow: Date()).transitions["report"] == ["DONE": 3])
    }
}
