import Foundation
import Testing
import WatcherLog
import WatcherSQLite
import WatcherStore
import WatcherTestSupport

@Suite("Retention: prune by hand, in the daemon, and what status shows")
struct RetentionTests {
    /// A final image task completed `daysAgo` days ago, with two transitions.
    private func finalTask(_ id: String, daysAgo: Double, in scenario: Scenario) throws {
        let connection = try scenario.openDatabase()
        defer { connection.close() }
        let completed = Timestamp.rfc3339(Date().addingTimeInterval(-daysAgo * 86_400))
        try connection.transaction {
            try connection.run(
                """
                INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type, state,
                  completed_at) VALUES (?, ?, '120344', 'CUT_OUT', 'SUCCESS', ?)
                """,
                [.text(scenario.mchid), .text(id), .text(completed)])
            for (from, to) in [("PENDING", "PROCESSING"), ("PROCESSING", "SUCCESS")] {
                try connection.run(
                    """
                    INSERT INTO state_transitions (resource, merchant_id, resource_id, from_state, to_state, at)
                    VALUES ('image_generation_task', ?, ?, ?, ?, ?)
                    """,
                    [.text(scenario.mchid), .text(id), .text(from), .text(to), .text(completed)])
            }
        }
    }

    private func taskIDs(_ scenario: Scenario) throws -> [String] {
        let connection = try scenario.openDatabase()
        defer { connection.close() }
        return try connection.query("SELECT task_id FROM image_generation_tasks ORDER BY task_id").compactMap {
            $0[0].stringValue
        }
    }

    @Test("prune --dry-run says what would go and deletes nothing; prune deletes it, logs it and shrinks the file")
    func pruneByHand() async throws {
        let scenario = try Scenario()
        let config = scenario.folder.configFile
        #expect(try await scenario.run(["migrate", "--config", config]).status == 0)
        try finalTask("old_task_1", daysAgo: 40, in: scenario)
        try finalTask("old_task_2", daysAgo: 31, in: scenario)
        try finalTask("recent_task", daysAgo: 3, in: scenario)

        let off = try await scenario.run(["prune", "--config", config])
        #expect(off.status == 0 && off.output.contains("nothing to prune"), "\(off.output)")
        try scenario.editConfiguration {
            $0.replacingOccurrences(of: #""final_row_days": 0"#, with: #""final_row_days": 30"#)
        }

        let dryRun = try await scenario.run(["prune", "--config", config, "--dry-run"])
        #expect(dryRun.status == 0, "\(dryRun.error)")
        #expect(
            dryRun.output.contains(
                "would remove 2 rows (image_generation_task 2, product_coupon 0) and 4 transitions"),
            "\(dryRun.output)")
        #expect(try taskIDs(scenario) == ["old_task_1", "old_task_2", "recent_task"])

        let prune = try await scenario.run(["prune", "--config", config])
        #expect(prune.status == 0, "\(prune.error)")
        #expect(
            prune.output.contains("removed 2 rows (image_generation_task 2, product_coupon 0) and 4 transitions"),
            "\(prune.output)")
        #expect(try taskIDs(scenario) == ["recent_task"])
        let log = try String(contentsOfFile: scenario.folder.logFile, encoding: .utf8)
        #expect(log.contains("retention.pruned rows=2 transitions=4"), "\(log)")

        let status = try await scenario.run(["status", "--config", config])
        #expect(status.output.contains("free pages of 4096 bytes, auto-vacuum incremental"), "\(status.output)")
        #expect(status.output.contains("oldest final image_generation_task: completed "), "\(status.output)")
        let json = try await scenario.run(["status", "--config", config, "--json"])
        let document = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        let storage = document?["storage"] as? [String: Any]
        #expect(storage?["free_pages"] as? Int == 0)
        #expect((storage?["file_bytes"] as? Int ?? 0) > 0)
        let oldest = document?["oldest_final"] as? [[String: Any]]
        #expect(oldest?.first?["resource"] as? String == "image_generation_task")
        #expect((oldest?.first?["age_seconds"] as? Double ?? 0) > 2 * 86_400)
    }

    @Test("the daemon prunes on its own and logs each pass")
    func daemonPrunes() async throws {
        let scenario = try Scenario()
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try finalTask("old_task", daysAgo: 8, in: scenario)
        try finalTask("recent_task", daysAgo: 6, in: scenario)
        try scenario.editConfiguration {
            $0.replacingOccurrences(of: #""final_row_days": 0"#, with: #""final_row_days": 7"#)
        }
        let daemon = try scenario.startDaemon()

        // The pass logs its line after its vacuum steps: wait for both before stopping, or SIGTERM ends the pass first.
        let pruned = try await eventually(timeout: 40) {
            let logged =
                (try? String(contentsOfFile: scenario.folder.logFile, encoding: .utf8))?
                .contains("retention.pruned") ?? false
            return try taskIDs(scenario) == ["recent_task"] && logged
        }
        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)

        #expect(pruned)
        let log = try String(contentsOfFile: scenario.folder.logFile, encoding: .utf8)
        #expect(log.contains("retention.pruned rows=1 transitions=2"), "\(log)")
    }
}
