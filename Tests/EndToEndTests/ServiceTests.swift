import Foundation
import Testing

@Suite("End to end: the service's life under systemd", .serialized)
struct ServiceTests {
    @Test("SIGHUP after the log file was moved away opens a new one at the configured path and rereads the config")
    func reloadReopensTheLog() async throws {
        let scenario = try Scenario()
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        let daemon = try scenario.startDaemon()
        #expect(await eventually(timeout: 20) { scenario.log.contains("engine.started") })
        let rotated = scenario.folder.logFile + ".1"
        try FileManager.default.moveItem(atPath: scenario.folder.logFile, toPath: rotated)
        daemon.signal(SIGHUP)
        let reopened = await eventually(timeout: 10) { scenario.log.contains("config.reloaded") }
        try scenario.addTasks(scenario.tasks(3))
        let drained = try await eventually(timeout: 30) { try scenario.unfinishedCount() == 0 }
        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)
        #expect(reopened, "a new log file appeared at \(scenario.folder.logFile)")
        #expect(drained)
        #expect(scenario.log.contains("transition"), "lines after the reload go to the new file")
        let old = try String(contentsOfFile: rotated, encoding: .utf8)
        #expect(old.contains("engine.started") && !old.contains("config.reloaded"))
    }

    @Test("an invalid configuration at reload is refused by name and the running one kept")
    func invalidReloadKeepsRunning() async throws {
        let scenario = try Scenario()
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        let daemon = try scenario.startDaemon()
        #expect(await eventually(timeout: 20) { scenario.log.contains("engine.started") })
        let good = try String(contentsOfFile: scenario.folder.configFile, encoding: .utf8)
        try good.replacingOccurrences(of: "\"log_level\"", with: "\"log_levle\"")
            .write(toFile: scenario.folder.configFile, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        let rejected = await eventually(timeout: 10) { scenario.log.contains("config.reload_rejected") }
        try scenario.addTasks(scenario.tasks(3))
        let drained = try await eventually(timeout: 30) { try scenario.unfinishedCount() == 0 }
        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)
        #expect(rejected)
        #expect(scenario.log.contains("log_levle"), "the error names the unknown key")
        #expect(drained, "the daemon kept watching with the running configuration")
    }
}
