import Foundation
import Testing

@Suite("End to end: the oldest unfinished row in every report", .serialized)
struct MonitoringTests {
    @Test("a row waiting for an hour shows its age in the metrics file, the status line and `status`")
    func oldestPendingEverywhere() async throws {
        let scenario = try Scenario()
        let metrics = scenario.directory.file("wechatpay_watcher.prom")
        try scenario.editConfiguration {
            $0.replacingOccurrences(of: "\"metrics_file\": null", with: "\"metrics_file\": \"\(metrics)\"")
        }
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        // Unknown to the simulator: answered 404 and retried during the grace period, so it stays PENDING.
        try scenario.insertRows([(scenario.mchid, "task_waiting_an_hour", "120344", "COMBINE_IMAGE")])
        let connection = try scenario.openDatabase()
        let hourAgo = ISO8601DateFormatter.string(
            from: Date().addingTimeInterval(-3_600), timeZone: .gmt, formatOptions: [.withInternetDateTime])
        try connection.run("UPDATE image_generation_tasks SET created_at = ?", [.text(hourAgo)])
        connection.close()
        let daemon = try scenario.startDaemon()
        let family =
            "wechatpay_watcher_oldest_pending_seconds{api=\"image_generation_task\",merchant=\"\(scenario.mchid)\"} "
        func metricsAge() -> Double? {
            let text = (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? ""
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(family) }) else { return nil }
            return Double(line.dropFirst(family.count))
        }
        let measured = await eventually(timeout: 20) { (metricsAge() ?? 0) >= 3_600 }
        let recorded = try await eventually(timeout: 20) {
            let status = try await scenario.run(["status", "--config", scenario.folder.configFile, "--json"])
            return status.output.contains("oldest_pending_seconds=36")
        }
        let status = try await scenario.run(["status", "--config", scenario.folder.configFile, "--json"])
        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)
        #expect(measured, "metrics file says \(metricsAge().map { "\($0)" } ?? "nothing")")
        #expect(recorded, "the process row's status line: \(status.output)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any])
        let oldest = try #require((json["oldest_unfinished"] as? [[String: Any]])?.first)
        #expect(oldest["resource_id"] as? String == "task_waiting_an_hour")
        #expect((oldest["age_seconds"] as? Double ?? 0) >= 3_600)
    }
}
