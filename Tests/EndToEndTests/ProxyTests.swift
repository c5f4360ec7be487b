import Foundation
import Testing
import WatcherTestSupport
import WeChatPaySimulator

/// A simulator whose certificate names a host only a proxy can resolve, and a config that reaches it through one.
private struct ProxiedScenario {
    static let host = "api.wechatpay.test"
    let scenario: Scenario
    let proxy: ConnectProxy

    init(fault: ConnectProxy.Fault = .none, refusesConnections: Bool = false, proxyUser: String? = nil) throws {
        scenario = try Scenario(tls: TLSFixture().good(dnsNames: [Self.host]))
        proxy = try ConnectProxy(
            hosts: [Self.host: "127.0.0.1"], fault: fault, refusesConnections: refusesConnections)
        try writeConfiguration(proxyUser: proxyUser)
    }

    /// `api.base_url` names the host only the proxy knows, so a request that bypassed the proxy could not resolve.
    func writeConfiguration(proxyUser: String?) throws {
        let port = URLComponents(string: scenario.baseURL)?.port ?? 0
        try scenario.folder.writeConfiguration(
            baseURL: "https://\(Self.host):\(port)", caFile: scenario.caFile,
            proxyURL: proxy.url(user: proxyUser, password: proxyUser.map { _ in "s3cret" }), logLevel: .debug)
    }

    /// Starts the daemon on `tasks` fresh tasks and waits until the log shows `text`; the daemon keeps running.
    func startAndWait(forLog text: String, tasks: Int = 3) async throws -> (WatcherProcess, Bool) {
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addTasks(scenario.tasks(tasks))
        let daemon = try scenario.startDaemon()
        let logged = await eventually(timeout: 20) { scenario.log.contains(text) }
        return (daemon, logged)
    }

    /// Stops the daemon and checks that it exited cleanly and that no row changed.
    func stopAndExpectRowsUntouched(_ daemon: WatcherProcess) async throws {
        #expect(daemon.process.isRunning, "the daemon stays up: \(daemon.errorOutput)")
        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)
        try expectNoRowChanged(scenario)
        #expect(scenario.simulator.connectionStatistics().requestsHandled == 0)
    }
}

@Suite("End to end: an HTTP proxy in front of the API", .serialized)
struct ProxyTests {
    @Test("through a CONNECT proxy, a host name only the proxy can resolve is watched to the end")
    func throughProxy() async throws {
        let setting = try ProxiedScenario()
        defer { setting.proxy.stop() }
        let (daemon, _) = try await setting.startAndWait(forLog: "transport.ready", tasks: 20)
        let (drained, exitStatus) = try await setting.scenario.drainThenStop(daemon, timeout: 30)
        #expect(drained)
        #expect(exitStatus == 0)
        #expect(try problems(in: setting.scenario) == [])
        #expect(setting.proxy.statistics.tunnels >= 1)
        #expect(setting.proxy.statistics.targets.allSatisfy { $0.hasPrefix(ProxiedScenario.host + ":") })
        #expect(setting.scenario.log.contains(#"proxy="http://127.0.0.1:\#(setting.proxy.port) (api.proxy_url)""#))
    }

    @Test("a proxy that refuses connections is named in the log and no row changes")
    func refusingProxy() async throws {
        let setting = try ProxiedScenario(refusesConnections: true)
        defer { setting.proxy.stop() }
        let (daemon, logged) = try await setting.startAndWait(forLog: "failure=proxy")
        #expect(logged, "\(setting.scenario.log.suffix(2_000))")
        #expect(setting.scenario.log.contains("127.0.0.1:\(setting.proxy.port)"))
        try await setting.stopAndExpectRowsUntouched(daemon)
    }

    @Test("a proxy answering 407 is named in the log; with the credentials in api.proxy_url the tasks finish")
    func proxyAuthentication() async throws {
        let setting = try ProxiedScenario(fault: .requireCredentials(user: "egress", password: "s3cret"))
        defer { setting.proxy.stop() }
        let (daemon, logged) = try await setting.startAndWait(forLog: "407")
        #expect(logged, "\(setting.scenario.log.suffix(2_000))")
        #expect(setting.scenario.log.contains("failure=proxy"))
        try await setting.stopAndExpectRowsUntouched(daemon)
        #expect(setting.proxy.statistics.authenticationsRefused >= 1)

        try setting.writeConfiguration(proxyUser: "egress")
        let again = try setting.scenario.startDaemon()
        let (drained, exitStatus) = try await setting.scenario.drainThenStop(again, timeout: 30)
        #expect(drained)
        #expect(exitStatus == 0)
        #expect(try problems(in: setting.scenario) == [])
        #expect(!setting.scenario.log.contains("s3cret"), "the proxy password is never logged")
    }

    @Test(
        "a proxy that dies while opening the tunnel or in the middle of it costs polls, never rows",
        // Dying before its answer is the proxy's failure; once the tunnel is up, it looks like the server left.
        arguments: [
            (ConnectProxy.Fault.closeBeforeAnswering, "failure=proxy"),
            (.closeTunnels(afterClientBytes: 900), "failure=connection_lost"),
        ])
    func dyingProxy(_ fault: ConnectProxy.Fault, logged expected: String) async throws {
        let setting = try ProxiedScenario(fault: fault)
        defer { setting.proxy.stop() }
        let (daemon, logged) = try await setting.startAndWait(forLog: expected, tasks: 10)
        #expect(logged, "\(setting.scenario.log.suffix(2_000))")
        #expect(setting.proxy.statistics.tunnelsCut >= 1)
        setting.proxy.fault = .none
        let (drained, exitStatus) = try await setting.scenario.drainThenStop(daemon, timeout: 60)
        #expect(drained)
        #expect(exitStatus == 0)
        #expect(try problems(in: setting.scenario) == [])
    }
}
