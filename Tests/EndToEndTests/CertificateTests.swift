import Foundation
import Testing
import WeChatPaySimulator

/// A scenario whose merchant verifies with platform certificates (or during the migration, with both).
private struct CertificateScenario {
    static let apiv3Key = Array("4bA9c2D7e1F0g3H8i5J6k4L2m9N7o1P0".utf8)

    let scenario: Scenario
    let first: SimulatedPlatformCertificate
    var keyFile: String { scenario.directory.file("apiv3_key.txt") }

    /// - Parameters:
    ///   - migration: keep the public key configured as well, and sign answers with either.
    ///   - simulatorKey: the APIv3 key the simulator encrypts with (nil: the merchant has no certificates).
    ///   - configuredKey: the one in the watcher's key file.
    ///   - signing: how the simulator signs answers, when not the mode's usual way.
    init(
        migration: Bool = false, simulatorKey: [UInt8]? = apiv3Key, configuredKey: [UInt8] = apiv3Key,
        durations: DurationModel = .fixed(0), signing: AnswerSigning? = nil
    ) throws {
        let certificate = try SimulatedPlatformCertificate.make(serial: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
        first = certificate
        scenario = try Scenario(durations: durations) { configuration in
            configuration.platformCertificates = [certificate]
            configuration.answerSigning =
                signing
                ?? (migration ? .alternating(serial: certificate.serial) : .certificate(serial: certificate.serial))
            for index in configuration.merchants.indices { configuration.merchants[index].apiv3Key = simulatorKey }
        }
        _ = FileManager.default.createFile(
            atPath: keyFile, contents: Data(configuredKey + [UInt8(ascii: "\n")]),
            attributes: [.posixPermissions: 0o600])
        let keyFile = keyFile
        let publicKeyFile = scenario.folder.platformPublicKeyFile
        try scenario.editConfiguration { text in
            var edited = text.replacingOccurrences(
                of: "\"apiv3_key_file\": null", with: "\"apiv3_key_file\": \"\(keyFile)\"")
            if !migration {
                edited = edited.replacingOccurrences(
                    of: "\"wechatpay_public_key_id\": \"\(SimulationFolder.platformKeyID)\"",
                    with: "\"wechatpay_public_key_id\": null"
                )
                .replacingOccurrences(
                    of: "\"wechatpay_public_key_file\": \"\(publicKeyFile)\"",
                    with: "\"wechatpay_public_key_file\": null")
            }
            return edited
        }
    }

    var downloads: Int { scenario.simulator.platform.downloads[scenario.mchid] ?? 0 }

    func unverifiedAnswers() -> Int {
        scenario.log.split(separator: "\n").filter { $0.contains("answer.unverified") }.count
    }
}

@Suite("End to end: platform-certificate mode and the migration", .serialized)
struct CertificateTests {
    @Test("a certificate-mode merchant's tasks all finish, verified by the downloaded certificate")
    func certificateModeFinishes() async throws {
        let setup = try CertificateScenario()
        let scenario = setup.scenario
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addTasks(scenario.tasks(40, durations: .uniform(0, 3)))
        let daemon = try scenario.startDaemon()
        let (drained, exitStatus) = try await scenario.drainThenStop(daemon, timeout: 60)
        #expect(drained)
        #expect(exitStatus == 0)
        #expect(try problems(in: scenario) == [])
        #expect(setup.unverifiedAnswers() == 0)
        #expect(setup.downloads == 1)
        #expect(scenario.log.contains("certificates.ready"))
    }

    @Test("a rotation mid-run costs at most a few unverified answers and one extra download")
    func rotation() async throws {
        let setup = try CertificateScenario()
        let scenario = setup.scenario
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        // Long enough that rows are still running when the signing switches, even when a loaded machine starts the
        // daemon slowly: otherwise no answer names the new serial and nothing is downloaded.
        try scenario.addTasks(scenario.tasks(60, durations: .uniform(14, 20)))
        let daemon = try scenario.startDaemon()
        let polled = await eventually(timeout: 30) { scenario.log.contains("certificates.ready") }
        #expect(polled)
        try await Task.sleep(for: .seconds(2))
        let next = try SimulatedPlatformCertificate.make(serial: "6A0B0C0D0E0F101112131415161718191A1B1C1D")
        scenario.simulator.platform.announce(next)
        try await Task.sleep(for: .seconds(1))
        scenario.simulator.platform.sign(with: .certificate(serial: next.serial))
        let (drained, exitStatus) = try await scenario.drainThenStop(daemon, timeout: 90)
        #expect(drained)
        #expect(exitStatus == 0)
        #expect(try problems(in: scenario) == [])
        #expect(setup.downloads == 2, "the start-up download and one for the new serial")
        #expect(setup.unverifiedAnswers() <= 3)
        #expect(scenario.log.contains("certificates.refreshed"))
        report("certificate-rotation", ["downloads": setup.downloads, "unverified": setup.unverifiedAnswers()])
    }

    @Test("a migration-mode merchant accepts answers signed by the public key and by the certificate")
    func migration() async throws {
        let setup = try CertificateScenario(migration: true)
        let scenario = setup.scenario
        let metrics = scenario.directory.file("wechatpay_watcher.prom")
        try scenario.editConfiguration {
            $0.replacingOccurrences(of: "\"metrics_file\": null", with: "\"metrics_file\": \"\(metrics)\"")
        }
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addTasks(scenario.tasks(30, durations: .uniform(0, 4)))
        let daemon = try scenario.startDaemon()
        let drained = try await eventually(timeout: 60) { try scenario.unfinishedCount() == 0 }
        let both = await eventually(timeout: 20) {
            let text = (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? ""
            return text.contains("key=\"\(SimulationFolder.platformKeyID)\"")
                && text.contains("key=\"\(setup.first.serial)\"")
        }
        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)
        #expect(drained)
        #expect(both, "the verification metric names both keys")
        #expect(try problems(in: scenario) == [])
        #expect(setup.unverifiedAnswers() == 0)
    }

    @Test("a wrong APIv3 key fails check-config and start with a message naming it, and touches no row")
    func wrongKey() async throws {
        let wrong = Array("ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ".utf8)
        let setup = try CertificateScenario(configuredKey: wrong)
        let scenario = setup.scenario
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addTasks(scenario.tasks(5))
        let check = try await scenario.run(["check-config", "--config", scenario.folder.configFile])
        #expect(check.status == 2)
        #expect(check.error.contains("wrong APIv3 key"))
        #expect(check.error.contains(setup.keyFile))
        let start = try await scenario.run(["run", "--config", scenario.folder.configFile], timeout: 30)
        #expect(start.status == 2)
        #expect(start.error.contains("wrong APIv3 key"))
        #expect(try scenario.unfinishedCount() == 5)
        #expect(try scenario.transitions().isEmpty)
    }

    @Test("a merchant without certificates (public key only) is told to configure the public key")
    func noCertificates() async throws {
        let setup = try CertificateScenario(simulatorKey: nil)
        let scenario = setup.scenario
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        let start = try await scenario.run(["run", "--config", scenario.folder.configFile], timeout: 30)
        #expect(start.status == 2)
        #expect(start.error.contains("has no platform certificates"))
        #expect(start.error.contains("configure wechatpay_public_key_id and wechatpay_public_key_file"))
        let download = try await scenario.run(["download-certificates", "--config", scenario.folder.configFile])
        #expect(download.status == 1)
        #expect(download.error.contains("RESOURCE_NOT_EXISTS"))
    }

    @Test("a migration-mode merchant whose certificates are gone (404) starts, warns, and verifies with the public key")
    func migrationAfterCertificatesEnd() async throws {
        let setup = try CertificateScenario(migration: true, simulatorKey: nil, signing: .publicKey)
        let scenario = setup.scenario
        let check = try await scenario.run(["check-config", "--config", scenario.folder.configFile])
        #expect(check.status == 0, "\(check.error)")
        #expect((check.output + check.error).contains("answers signed with the WeChat Pay public key verify"))
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addTasks(scenario.tasks(20, durations: .uniform(0, 2)))
        let daemon = try scenario.startDaemon()
        let (drained, exitStatus) = try await scenario.drainThenStop(daemon, timeout: 60)
        #expect(drained)
        #expect(exitStatus == 0)
        #expect(try problems(in: scenario) == [])
        #expect(scenario.log.contains("certificates.unavailable"))
        #expect(setup.downloads == 2, "check-config's and the start's")
    }

    @Test("download-certificates prints each serial with its validity; a restart verifies from the cache first")
    func cacheAcrossRestarts() async throws {
        let setup = try CertificateScenario()
        let scenario = setup.scenario
        let download = try await scenario.run(["download-certificates", "--config", scenario.folder.configFile])
        #expect(download.status == 0, "\(download.error)")
        #expect(download.output.contains(setup.first.serial))
        #expect(download.output.contains("valid"))
        #expect(setup.downloads == 1)
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addTasks(scenario.tasks(20, durations: .uniform(0, 2)))
        let daemon = try scenario.startDaemon()
        let (drained, exitStatus) = try await scenario.drainThenStop(daemon, timeout: 60)
        #expect(drained)
        #expect(exitStatus == 0)
        #expect(try problems(in: scenario) == [])
        #expect(setup.downloads == 1, "the daemon verified from the cache and downloaded nothing")
    }
}
