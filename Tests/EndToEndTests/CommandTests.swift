import Foundation
import Testing
import WatcherStore
import WatcherTestSupport

@Suite("Commands: the contract scripts depend on")
struct CommandTests {
    @Test("every command answers --help with exit 0; an unknown command or option exits 2")
    func help() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        for command in [
            "run", "migrate", "check-config", "enqueue", "wait", "status", "prune", "demo", "simulate", "sign",
            "verify",
        ] {
            let result = try await WatcherProcess.run([command, "--help"], in: directory.path)
            #expect(result.status == 0, "\(command) --help")
            #expect(result.output.contains("usage: wechatpay-watcher \(command)"))
        }
        #expect(try await WatcherProcess.run(["frobnicate"], in: directory.path).status == 2)
        #expect(try await WatcherProcess.run(["status", "--colour"], in: directory.path).status == 2)
        #expect(try await WatcherProcess.run(["run"], in: directory.path).status == 2)
        let stray = try await WatcherProcess.run(["status", "--config", "/x.json", "extra"], in: directory.path)
        #expect(stray.status == 2 && stray.error.contains(#"unexpected "extra": status takes options only"#))
    }

    @Test("migrate is idempotent; check-config passes on a good configuration")
    func migrateAndCheck() async throws {
        let scenario = try Scenario()
        let config = scenario.folder.configFile
        let first = try await scenario.run(["migrate", "--config", config])
        #expect(first.status == 0 && first.output.contains("migrated from schema version 0"))
        let second = try await scenario.run(["migrate", "--config", config])
        #expect(second.status == 0 && second.output.contains("up to date"))
        let check = try await scenario.run(["check-config", "--config", config])
        #expect(check.status == 0 && check.output.contains("OK"), "\(check.error)")
    }

    @Test("a broken configuration exits 2 naming every problem")
    func brokenConfiguration() async throws {
        let scenario = try Scenario()
        let config = scenario.folder.configFile
        var text = try String(contentsOfFile: config, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"log_level\"", with: "\"log_levle\"")
        text = text.replacingOccurrences(of: "\"requests_per_second\" : 20", with: "\"requests_per_second\" : \"20\"")
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        for command in ["check-config", "run", "migrate"] {
            let result = try await scenario.run([command, "--config", config])
            #expect(result.status == 2, "\(command)")
            #expect(
                result.error.contains("log_levle") && result.error.contains("did you mean \"log_level\""),
                "\(result.error)")
        }
    }

    @Test("check-config refuses a log file or metrics file that is a folder, as run would")
    func outputFilesThatAreFolders() async throws {
        let scenario = try Scenario()
        let folder = scenario.folder.directory + "/a-folder"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        try scenario.editConfiguration {
            $0.replacingOccurrences(of: scenario.folder.logFile, with: folder)
                .replacingOccurrences(of: "\"metrics_file\": null", with: "\"metrics_file\": \"\(folder)\"")
        }
        let check = try await scenario.run(["check-config", "--config", scenario.folder.configFile])
        #expect(check.status == 2)
        #expect(check.error.contains("log file \(folder) is a folder"), "\(check.error)")
        #expect(check.error.contains("metrics file \(folder) is a folder"), "\(check.error)")
    }

    @Test("a key file readable by others is refused with the chmod that fixes it; a certificate is named as such")
    func badKeys() async throws {
        let scenario = try Scenario()
        let key = scenario.folder.privateKeyFile(of: scenario.mchid)
        chmod(key, 0o644)
        let world = try await scenario.run(["check-config", "--config", scenario.folder.configFile])
        #expect(world.status == 2)
        #expect(world.error.contains("chmod o-rwx '\(key)'"), "\(world.error)")
        chmod(key, 0o600)
        try String(contentsOfFile: scenario.folder.platformPublicKeyFile, encoding: .utf8)
            .write(toFile: key, atomically: true, encoding: .utf8)
        chmod(key, 0o600)
        let wrong = try await scenario.run(["run", "--config", scenario.folder.configFile])
        #expect(wrong.status == 2)
        #expect(wrong.error.contains(key) && wrong.error.contains("public key"), "\(wrong.error)")
    }

    @Test("enqueue validates like the daemon and refuses duplicates; status --json reports the rows")
    func enqueueAndStatus() async throws {
        let scenario = try Scenario()
        let config = scenario.folder.configFile
        let base = ["enqueue", "--config", config, "--merchant", scenario.mchid, "--brand", "120344"]
        #expect(try await scenario.run(base + ["--type", "CUT_OUT", "task_0001"]).status == 0)
        let duplicate = try await scenario.run(base + ["--type", "CUT_OUT", "task_0001"])
        #expect(duplicate.status == 1 && duplicate.error.contains("already queued (state PENDING)"))
        let badType = try await scenario.run(base + ["--type", "BLUR", "task_0002"])
        #expect(badType.status == 2 && badType.error.contains("image_generation_type"))
        let badID = try await scenario.run(base + ["--type", "CUT_OUT", "x"])
        #expect(badID.status == 2 && badID.error.contains("6 to 40"))
        let unknownMerchant = try await scenario.run([
            "enqueue", "--config", config, "--merchant", "123", "--brand", "1", "--type", "CUT_OUT", "task_0003",
        ])
        #expect(unknownMerchant.status == 2 && unknownMerchant.error.contains("not configured"))

        let status = try await scenario.run(["status", "--config", config, "--json"])
        #expect(status.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any])
        let counts = try #require(json["counts"] as? [[String: Any]])
        #expect(counts.contains { $0["state"] as? String == "PENDING" && $0["rows"] as? Int == 1 })
        #expect(json["schema_version"] as? Int == Schema.currentVersion)
        let text = try await scenario.run(["status", "--config", config])
        #expect(text.status == 0 && text.output.contains("image_generation_task") && text.output.contains("PENDING"))
    }

    @Test("sign prints the escaped message and header; verify says valid or names the reason")
    func signAndVerify() async throws {
        let scenario = try Scenario()
        let key = scenario.folder.privateKeyFile(of: scenario.mchid)
        let signed = try await scenario.run([
            "sign", "--mchid", "1900000001", "--serial", "ABC", "--private-key", key, "--method", "GET",
            "--url", "/v3/certificates", "--timestamp", "1624523846", "--nonce", "A1B2C3D4E5F6G7",
        ])
        #expect(signed.status == 0)
        #expect(signed.output.contains(#"message: "GET\n/v3/certificates\n1624523846\nA1B2C3D4E5F6G7\n\n""#))
        #expect(
            signed.output.contains(
                #"authorization: WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="A1B2C3D4E5F6G7""#))

        let body = scenario.directory.file("body.json")
        try #"{"task_state":"SUCCESS"}"#.write(toFile: body, atomically: true, encoding: .utf8)
        let message = Array("1624523846\nNONCE\n{\"task_state\":\"SUCCESS\"}\n".utf8)
        let signature = try scenario.folder.platformKey.signSHA256(message)
        let base64 = Data(signature).base64EncodedString()
        let verify = [
            "verify", "--public-key", scenario.folder.platformPublicKeyFile, "--timestamp", "1624523846", "--nonce",
            "NONCE", "--body-file", body,
        ]
        let valid = try await scenario.run(verify + ["--signature", base64, "--ignore-clock"])
        #expect(valid.status == 0 && valid.output == "valid\n")
        let stale = try await scenario.run(verify + ["--signature", base64])
        #expect(stale.status == 1 && stale.output.contains("away from this machine's clock"))
        let probe = try await scenario.run(verify + ["--signature", "WECHATPAY/SIGNTEST/" + base64, "--ignore-clock"])
        #expect(probe.status == 1 && probe.output.contains("SIGNTEST"))
    }

    @Test("the demo, the README's first command, finishes with every row in its true state")
    func demo() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let result = try await WatcherProcess.run(
            ["demo", "--dir", directory.file("demo")], in: directory.path, timeout: 60)
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("rows whose final state differs from the simulator's: 0"))
        #expect(result.output.contains("PENDING → REJECTED"))
        #expect(result.output.contains("PENDING → PROCESSING → SUCCESS"))
        #expect(result.output.contains("throttled 0"))
    }
}
