import Foundation
import Testing

@Suite("End to end: database trouble ends loudly, never silently", .serialized)
struct DatabaseTroubleTests {
    @Test("the database file deleted under the running daemon: a clear log line and exit 1 for systemd to restart")
    func deletedWhileRunning() async throws {
        let scenario = try Scenario()
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addTasks(scenario.tasks(5, durations: .fixed(60)))
        let daemon = try scenario.startDaemon()
        #expect(await eventually(timeout: 20) { scenario.log.contains("engine.started") })
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: scenario.folder.database + suffix)
        }
        let status = try await daemon.wait(timeout: 20)
        #expect(status == 1)
        #expect(scenario.log.contains("database.unusable"))
        #expect(scenario.log.contains("was deleted while the watcher had it open"))
    }

    @Test("a queue index dropped under the running daemon: exit 1 naming it; the next start builds it again")
    func indexDroppedWhileRunning() async throws {
        let scenario = try Scenario()
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addTasks(scenario.tasks(30, durations: .uniform(3, 6)))
        let daemon = try scenario.startDaemon()
        #expect(await eventually(timeout: 20) { scenario.log.contains("to=PROCESSING") })
        let connection = try scenario.openDatabase()
        try connection.execute("DROP INDEX image_generation_tasks_due")
        connection.close()
        let status = try await daemon.wait(timeout: 30)
        #expect(status == 1, "the rows would wait unpolled for ever; systemd restarts the daemon")
        #expect(scenario.log.contains("database.unusable"))
        #expect(scenario.log.contains("the index image_generation_tasks_due"))
        let restarted = try scenario.startDaemon()
        let (drained, exitStatus) = try await scenario.drainThenStop(restarted, timeout: 60)
        #expect(scenario.log.contains("database.index_restored index=image_generation_tasks_due"))
        #expect(drained)
        #expect(exitStatus == 0)
        #expect(try problems(in: scenario) == [])
    }

    @Test("a database file that is not a database: run refuses to start, naming the file and the problem")
    func corruptAtStart() async throws {
        let scenario = try Scenario()
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: scenario.folder.database))
        let result = try await scenario.run(["run", "--config", scenario.folder.configFile], timeout: 30)
        #expect(result.status != 0)
        #expect(result.error.contains(scenario.folder.database), "\(result.error)")
        #expect(result.error.contains("not a database") || result.error.contains("SQLITE_NOTADB"), "\(result.error)")
    }

    @Test("a database in a folder that does not exist: check-config names it and exits 2")
    func missingFolder() async throws {
        let scenario = try Scenario()
        let config = try String(contentsOfFile: scenario.folder.configFile, encoding: .utf8)
            .replacingOccurrences(
                of: scenario.folder.database, with: scenario.directory.path + "/absent/watcher.sqlite3")
        try config.write(toFile: scenario.folder.configFile, atomically: true, encoding: .utf8)
        let result = try await scenario.run(["check-config", "--config", scenario.folder.configFile])
        #expect(result.status == 2)
        #expect((result.output + result.error).contains("absent"), "\(result.output) \(result.error)")
    }
}
