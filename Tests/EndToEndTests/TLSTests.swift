import Foundation
import LoopbackHTTPServer
import Testing
import WatcherCrypto
import WatcherTestSupport
import WeChatPaySimulator

/// A certificate the simulator can serve, and the authority the watcher is told to trust.
struct TLSFixture {
    /// What is wrong with the served certificate.
    enum Flaw: String, CaseIterable, CustomTestStringConvertible {
        case expired, otherHostName, untrustedIssuer
        var testDescription: String { rawValue }
    }

    let trusted: CertificateAuthority

    init() throws {
        trusted = try CertificateAuthority(commonName: "e2e trusted CA")
    }

    /// A good certificate for `dnsNames` (and 127.0.0.1), served with `api.ca_file` trusting its issuer.
    func good(dnsNames: [String] = ["localhost"]) throws -> ScenarioTLS {
        try serve(trusted.issue(commonName: dnsNames[0], dnsNames: dnsNames, ipAddresses: ["127.0.0.1"]))
    }

    /// A certificate the watcher must refuse.
    func flawed(_ flaw: Flaw) throws -> ScenarioTLS {
        switch flaw {
        case .expired:
            return try serve(
                trusted.issue(
                    commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"],
                    validity: .fromNow(-30 * 86_400, to: -86_400)))
        case .otherHostName:
            return try serve(trusted.issue(commonName: "api.mch.weixin.qq.com", dnsNames: ["api.mch.weixin.qq.com"]))
        case .untrustedIssuer:
            let stranger = try CertificateAuthority(commonName: "e2e interception CA")
            return try serve(
                stranger.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"]))
        }
    }

    private func serve(_ leaf: IssuedCertificate) -> ScenarioTLS {
        .custom(
            server: ServerTLSConfiguration(certificateChainPEM: leaf.certificatePEM, privateKeyPEM: leaf.privateKeyPEM),
            trusted: trusted.pem.certificatePEM)
    }
}

/// OpenSSL's words for each flaw, as the watcher logs them in `reason=`.
private func expectedReason(_ flaw: TLSFixture.Flaw) -> String {
    switch flaw {
    case .expired: "certificate has expired"
    case .otherHostName: "hostname mismatch"
    case .untrustedIssuer: "unable to get local issuer certificate"
    }
}

@Suite("End to end: TLS to the API", .serialized)
struct TLSTests {
    @Test("a certificate from the authority in api.ca_file is accepted and every task finishes over TLS")
    func goodCertificate() async throws {
        let fixture = try TLSFixture()
        let scenario = try Scenario(tls: fixture.good())
        #expect(scenario.baseURL.hasPrefix("https://"))
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addTasks(scenario.tasks(20, durations: .uniform(0, 1)))
        let daemon = try scenario.startDaemon()
        let (drained, exitStatus) = try await scenario.drainThenStop(daemon, timeout: 30)
        #expect(drained)
        #expect(exitStatus == 0)
        #expect(try problems(in: scenario) == [])
        let connections = scenario.simulator.connectionStatistics()
        #expect(connections.handshakesCompleted >= 1)
        #expect(connections.handshakesFailed == 0)
        #expect(scenario.log.contains("ca_file=\(scenario.folder.caFile)"))
    }

    @Test(
        "a certificate that is expired, for another host or from an untrusted issuer is refused before any request",
        arguments: TLSFixture.Flaw.allCases)
    func refusedCertificate(_ flaw: TLSFixture.Flaw) async throws {
        let scenario = try Scenario(tls: TLSFixture().flawed(flaw))
        // By name, so a certificate for another host fails on the name rather than on the address.
        let port = URLComponents(string: scenario.baseURL)?.port ?? 0
        try scenario.folder.writeConfiguration(
            baseURL: "https://localhost:\(port)", caFile: scenario.caFile, logLevel: .debug)
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addTasks(scenario.tasks(3))
        let daemon = try scenario.startDaemon()
        let reason = expectedReason(flaw)
        // The alarm needs several refusals in a row, and retries back off: wait for it before stopping the daemon.
        let logged = await eventually(timeout: 40) {
            scenario.log.contains("failure=tls") && scenario.log.contains(reason)
                && scenario.log.contains("tls.refused_repeatedly")
        }
        #expect(logged, "the log names the refusal and raises the alarm: \(scenario.log.suffix(2_000))")
        #expect(daemon.process.isRunning, "the daemon stays up: \(daemon.errorOutput)")
        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)
        let connections = scenario.simulator.connectionStatistics()
        #expect(connections.handshakesFailed >= 1)
        #expect(connections.requestsHandled == 0, "no request reached the HTTP layer")
        #expect(scenario.simulator.statistics().totalRequests == 0)
        try expectNoRowChanged(scenario)
    }

    @Test("simulate --tls writes a CA and a config trusting it through api.ca_file; a watcher run on it gets answers")
    func simulateCommand() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let folder = directory.file("sim")
        let simulator = try WatcherProcess.start(
            ["simulate", "--dir", folder, "--tls", "--chunked", "0.5", "--merchants", "1"], in: directory.path)
        defer {
            simulator.signal(SIGTERM)
            simulator.process.waitUntilExit()
        }
        #expect(await eventually(timeout: 30) { simulator.output.contains("listening on https://127.0.0.1:") })
        #expect(simulator.output.contains("api.ca_file"))
        let config = folder + "/wechatpay-watcher.json"
        let text = try String(contentsOfFile: config, encoding: .utf8)
        #expect(text.contains(#""ca_file": "\#(folder)/ca.pem""#), "\(text)")
        #expect(try await WatcherProcess.run(["migrate", "--config", config], in: directory.path).status == 0)
        let enqueue = ["enqueue", "--config", config, "--merchant", "1900000001", "--brand", "120344"]
        #expect(
            try await WatcherProcess.run(enqueue + ["--type", "CUT_OUT", "task_tls_0001"], in: directory.path).status
                == 0)
        let daemon = try WatcherProcess.start(["run", "--config", config], in: directory.path)
        let log = { (try? String(contentsOfFile: folder + "/watcher.log", encoding: .utf8)) ?? "" }
        let answered = await eventually(timeout: 20) { log().contains("id=task_tls_0001 from=PENDING to=PROCESSING") }
        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)
        #expect(answered, "a verified answer arrived over TLS: \(log().suffix(2_000))")
        #expect(!log().contains("failure=tls"))
    }

    @Test("a primary that accepts TCP and never answers the handshake costs one deadline, then the backup serves")
    func silentHandshake() async throws {
        let scenario = try Scenario()
        let silent = try SilentListener()
        defer { silent.close() }
        try scenario.folder.writeConfiguration(
            baseURL: "https://127.0.0.1:\(silent.port)", backupBaseURL: scenario.baseURL, caFile: scenario.caFile,
            requestTimeoutSeconds: 2, logLevel: .debug)
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addTasks(scenario.tasks(10))
        let daemon = try scenario.startDaemon()
        let (drained, exitStatus) = try await scenario.drainThenStop(daemon, timeout: 60)
        #expect(drained)
        #expect(exitStatus == 0)
        #expect(try problems(in: scenario) == [])
        let log = scenario.log
        #expect(log.contains("failure=timeout"), "the hung handshake ended at the deadline")
        #expect(log.contains("api.failover"))
    }

    @Test("a primary host name that does not resolve fails over to the backup")
    func unresolvablePrimary() async throws {
        let scenario = try Scenario()
        let port = URLComponents(string: scenario.baseURL)?.port ?? 0
        try scenario.folder.writeConfiguration(
            baseURL: "https://primary.wechatpay.invalid:\(port)", backupBaseURL: scenario.baseURL,
            caFile: scenario.caFile, logLevel: .debug)
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addTasks(scenario.tasks(10))
        let daemon = try scenario.startDaemon()
        let (drained, exitStatus) = try await scenario.drainThenStop(daemon, timeout: 60)
        #expect(drained)
        #expect(exitStatus == 0)
        #expect(try problems(in: scenario) == [])
        let log = scenario.log
        #expect(log.contains("cannot resolve primary.wechatpay.invalid"))
        #expect(log.contains("api.failover"))
    }

    @Test("chunked and Content-Length answers, and answers over the body cap, all end in the true state")
    func framingsAndBodyCap() async throws {
        let scenario = try Scenario(faults: FaultPlan(probabilities: [.oversizedBody: 0.15])) {
            $0.chunkedShare = 0.5
        }
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addTasks(scenario.tasks(20, durations: .uniform(0, 1)))
        let daemon = try scenario.startDaemon()
        let (drained, exitStatus) = try await scenario.drainThenStop(daemon, timeout: 60)
        #expect(drained)
        #expect(exitStatus == 0)
        #expect(try problems(in: scenario) == [])
        let oversized = scenario.simulator.statistics().lanes.values.reduce(0) {
            $0 + ($1.faults["oversized_body"] ?? 0)
        }
        #expect(oversized > 0)
        #expect(scenario.log.contains("failure=body_too_large"))
    }
}

/// Every row still PENDING without a result and without a transition: only the last error may have been noted.
func expectNoRowChanged(_ scenario: Scenario) throws {
    let rows = try scenario.rows()
    #expect(rows.values.allSatisfy { $0.state == "PENDING" && $0.url == nil }, "no row changed: \(rows)")
    #expect(try scenario.transitions().isEmpty)
}

/// A loopback port that completes TCP connections (the kernel's backlog) but never reads or answers: a server
/// that hangs before the TLS handshake.
struct SilentListener {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && listen(descriptor, 64) == 0
                    && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard listening else {
            _ = Glibc.close(descriptor)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        self.descriptor = descriptor
        port = UInt16(bigEndian: address.sin_port)
    }

    func close() {
        _ = Glibc.close(descriptor)
    }
}
