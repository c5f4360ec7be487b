import Foundation
import Testing
import WeChatPaySimulator

@Suite("End to end: kept-alive connections")
struct KeepAliveTests {
    @Test(
        "bursts 9 s apart against a server that closes connections idle for 8 s: no failed poll, no reused nonce")
    func burstsAcrossTheIdleClose() async throws {
        let scenario = try Scenario()
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        let daemon = try scenario.startDaemon()
        for burst in 0..<3 {
            if burst > 0 { try await Task.sleep(for: .seconds(9)) }
            try scenario.addTasks(scenario.tasks(10, prefix: "burst\(burst)"))
            let drained = try await eventually(timeout: 8) { try scenario.unfinishedCount() == 0 }
            #expect(drained, "burst \(burst) drained")
        }
        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)
        #expect(try problems(in: scenario) == [])
        let statistics = scenario.simulator.statistics()
        #expect(statistics.signErrors == 0)
        #expect(statistics.replayedNonces == 0)
        let log = scenario.log
        #expect(!log.contains("request.failed"))
        #expect(!log.contains("SIGN_ERROR"))
        // More than one connection: the idle ones were closed between bursts, not reused after the server's close.
        #expect(scenario.simulator.connectionStatistics().handshakesCompleted >= 2)
    }
}
