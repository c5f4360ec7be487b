import Foundation
import Testing
import WatcherSQLite
import WatcherTestSupport
import WeChatPaySimulator

@Suite("Producers: the permissions and the wait command their scripts rely on")
struct ProducerTests {
    @Test("a database created under umask 0007 is group-writable, and so are its -wal and -shm files")
    func groupWritableDatabase() async throws {
        let scenario = try Scenario()
        let migrate = Process()
        migrate.executableURL = URL(fileURLWithPath: "/bin/sh")
        // The service's UMask=0007; SQLite alone would create the file 0644 & ~0007 = 0640.
        migrate.arguments = [
            "-c", "umask 0007 && exec \"$0\" \"$@\"", WatcherProcess.binary, "migrate", "--config",
            scenario.folder.configFile,
        ]
        try migrate.run()
        migrate.waitUntilExit()
        #expect(migrate.terminationStatus == 0)
        #expect(try mode(of: scenario.database) == 0o660)

        // A producer's own connection writes: SQLite gives -wal and -shm the database file's mode, whatever the
        // producer's umask.
        let connection = try scenario.openDatabase()
        defer { connection.close() }
        try connection.run(
            "INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type) VALUES (?, ?, ?, ?)",
            [.text(scenario.mchid), .text("task_umask"), .text("120344"), .text("CUT_OUT")])
        #expect(try mode(of: scenario.database + "-wal") == 0o660)
        #expect(try mode(of: scenario.database + "-shm") == 0o660)
    }

    @Test("wait prints the final state and exits 0 for SUCCESS, 3 for FAIL, 4 for REJECTED, 5 at the timeout")
    func waitExitStatuses() async throws {
        let scenario = try Scenario(durations: .fixed(0))
        let succeeds = SimulatedResource(
            api: .imageGenerationTask, mchid: scenario.mchid, id: "task_succeeds", brandID: "120344",
            imageGenerationType: "CUT_OUT", createdAt: Date(), duration: 0.5, outcome: .success)
        var fails = succeeds
        fails.id = "task_fails"
        fails.outcome = .failure
        var slow = succeeds
        slow.id = "task_slow"
        slow.duration = 3_600
        scenario.simulator.register([succeeds, fails, slow])
        let config = scenario.folder.configFile
        #expect(try await scenario.run(["migrate", "--config", config]).status == 0)
        try scenario.insertRows([
            (scenario.mchid, succeeds.id, "120344", "CUT_OUT"), (scenario.mchid, fails.id, "120344", "CUT_OUT"),
            (scenario.mchid, slow.id, "120344", "CUT_OUT"), (scenario.mchid, "task_bad_type", "120344", "BLUR"),
        ])
        let daemon = try scenario.startDaemon()
        let wait = ["wait", "--config", config, "--merchant", scenario.mchid]

        let success = try await scenario.run(wait + [succeeds.id])
        #expect(success.status == 0, "\(success.output) \(success.error)")
        #expect(success.output.contains("image_generation_task task_succeeds of merchant \(scenario.mchid): SUCCESS"))
        #expect(success.output.contains("image_url: https://"), "\(success.output)")

        let failure = try await scenario.run(wait + [fails.id, "--json"])
        #expect(failure.status == 3, "\(failure.output) \(failure.error)")
        let object = try JSONSerialization.jsonObject(with: Data(failure.output.utf8)) as? [String: Any]
        #expect(object?["state"] as? String == "FAIL")
        #expect(object?["final"] as? Bool == true)
        #expect(object?["id"] as? String == fails.id)

        let rejected = try await scenario.run(wait + ["task_bad_type"])
        #expect(rejected.status == 4 && rejected.output.contains("REJECTED"), "\(rejected.output) \(rejected.error)")
        #expect(rejected.output.contains("error: image_generation_type"), "\(rejected.output)")

        let timedOut = try await scenario.run(wait + [slow.id, "--timeout", "1"])
        #expect(timedOut.status == 5, "\(timedOut.output) \(timedOut.error)")
        #expect(timedOut.output.contains("(not final yet)"), "\(timedOut.output)")

        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)
    }

    @Test("wait names an unknown row and refuses bad arguments")
    func waitErrors() async throws {
        let scenario = try Scenario()
        let config = scenario.folder.configFile
        let wait = ["wait", "--config", config, "--merchant", scenario.mchid]
        let missingDatabase = try await scenario.run(wait + ["task_000001"])
        #expect(missingDatabase.status == 1 && missingDatabase.error.contains("does not exist yet"))
        #expect(FileManager.default.createFile(atPath: scenario.database, contents: nil))
        for command in [wait + ["task_000001"], ["status", "--config", config]] {
            let empty = try await scenario.run(command)
            #expect(empty.status == 1 && empty.error.contains("has no tables yet (run `wechatpay-watcher migrate`"))
        }
        try FileManager.default.removeItem(atPath: scenario.database)

        #expect(try await scenario.run(["migrate", "--config", config]).status == 0)
        let unknown = try await scenario.run(wait + ["task_000001"])
        #expect(unknown.status == 1, "\(unknown.error)")
        #expect(
            unknown.error.contains("no image_generation_task with task_id task_000001 of merchant \(scenario.mchid)"),
            "\(unknown.error)")
        let coupon = try await scenario.run(wait + ["--product-coupon", "1000000013"])
        #expect(coupon.status == 1 && coupon.error.contains("no product_coupon"), "\(coupon.error)")

        for timeout in ["soon", "1e16", "-1"] {
            let badTimeout = try await scenario.run(wait + ["task_000001", "--timeout", timeout])
            #expect(
                badTimeout.status == 2 && badTimeout.error.contains("--timeout must be a positive number"), "\(timeout)"
            )
        }
        let twoIDs = try await scenario.run(wait + ["task_000001", "task_000002"])
        #expect(twoIDs.status == 2 && twoIDs.error.contains("exactly one TASK_ID"))
        let both = try await scenario.run(wait + ["task_000001", "--product-coupon", "1000000013"])
        #expect(both.status == 2 && both.error.contains("--product-coupon takes no TASK_ID"))
    }

    @Test("wait names a state the daemon neither watches nor writes instead of calling the row final")
    func waitOnAHandWrittenState() async throws {
        let scenario = try Scenario()
        let config = scenario.folder.configFile
        #expect(try await scenario.run(["migrate", "--config", config]).status == 0)
        let connection = try scenario.openDatabase()
        try connection.run(
            """
            INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type, state)
            VALUES (?, 'task_lowercase', '120344', 'CUT_OUT', 'pending')
            """, [.text(scenario.mchid)])
        connection.close()
        let result = try await scenario.run([
            "wait", "--config", config, "--merchant", scenario.mchid, "task_lowercase",
        ])
        #expect(result.status == 1)
        #expect(
            result.error.contains(#"has state "pending", which the daemon neither watches nor writes"#),
            "\(result.error)")
    }

    @Test("wait gives up with exit 1 when its database is deleted or replaced under it")
    func waitOnAVanishedDatabase() async throws {
        let scenario = try Scenario()
        let config = scenario.folder.configFile
        #expect(try await scenario.run(["migrate", "--config", config]).status == 0)
        try scenario.addTasks(scenario.tasks(1))
        let id = try #require(scenario.rows().keys.first?.split(separator: "/").last.map(String.init))
        for replace in [false, true] {
            let waiting = try WatcherProcess.start(
                ["wait", "--config", config, "--merchant", scenario.mchid, id], in: scenario.folder.directory)
            try await Task.sleep(for: .milliseconds(500))
            let moved = scenario.database + ".moved"
            try FileManager.default.moveItem(atPath: scenario.database, toPath: moved)
            if replace { try FileManager.default.copyItem(atPath: moved, toPath: scenario.database) }
            let status = try await waiting.wait(timeout: 10)
            #expect(status == 1)
            #expect(
                waiting.errorOutput.contains(replace ? "was replaced by another file" : "was deleted"),
                "\(waiting.errorOutput)")
            if !replace {
                try FileManager.default.moveItem(atPath: moved, toPath: scenario.database)
            } else {
                try FileManager.default.removeItem(atPath: moved)
            }
        }
    }

    @Test("--version prints \"wechatpay-watcher X.Y.Z\", the version the overview names")
    func version() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let result = try await WatcherProcess.run(["--version"], in: directory.path)
        #expect(result.status == 0)
        let words = result.output.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(words.count == 2 && words[0] == "wechatpay-watcher", "\(result.output)")
        let version = words.last ?? ""
        #expect(version.split(separator: ".").count == 3 && version.allSatisfy { $0.isNumber || $0 == "." })
        let overview = try await WatcherProcess.run(["--help"], in: directory.path)
        #expect(overview.output.hasPrefix("wechatpay-watcher \(version):"), "\(overview.output)")
    }

    /// The permission bits of `path`.
    private func mode(of path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? Int ?? -1) & 0o777
    }
}
