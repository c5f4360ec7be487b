import Foundation
import Testing

/// A small tmpfs mounted over a folder: a disk that can be filled, or made read-only, on purpose.
struct SmallDisk: ~Copyable {
    let path: String
    let bytes: Int

    /// Whether this process may mount file systems (root, and not forbidden by the container).
    static let available: Bool = {
        guard getuid() == 0 else { return false }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent(
            "wechatpay-watcher-mount-probe-\(getpid())")
        try? FileManager.default.createDirectory(at: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: probe) }
        guard mount("tmpfs", probe.path, "tmpfs", 0, "size=64k") == 0 else { return false }
        umount2(probe.path, Int32(MNT_DETACH))
        return true
    }()

    /// Mounts a tmpfs of `bytes` over the existing, empty folder `path`.
    init(at path: String, bytes: Int) throws {
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(bytes),mode=0755") == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        self.path = path
        self.bytes = bytes
    }

    deinit {
        umount2(path, Int32(MNT_DETACH))
    }

    /// Writes a filler file until the file system is full; returns how many bytes it took.
    @discardableResult
    func fill() -> Int {
        let descriptor = open(path + "/filler", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { return 0 }
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 0xAB, count: 4096)
        var total = 0
        while true {
            let written = chunk.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written <= 0 { break }
            total += written
        }
        return total
    }

    /// Removes the filler file: the space is back.
    func free() {
        unlink(path + "/filler")
    }

    /// Remounts the file system read-only (fails with EBUSY while a file on it is open for writing) or back.
    func remount(readOnly: Bool) throws {
        let flags = UInt(MS_REMOUNT) | (readOnly ? UInt(MS_RDONLY) : 0)
        guard mount("tmpfs", path, "tmpfs", flags, "size=\(bytes)") == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }
}

@Suite(
    "End to end: a full or read-only disk is logged, waited out, and never loses an answer", .serialized,
    .enabled(if: SmallDisk.available, "mounting a small tmpfs needs root"))
struct DiskTroubleTests {
    @Test(
        "the disk fills up mid-drain: the episode is logged once, answers wait in memory, all land once space is back")
    func fullDiskWaitedOut() async throws {
        let scenario = try Scenario(databaseSubfolder: "disk")
        let disk = try SmallDisk(at: scenario.directory.path + "/disk", bytes: 16 << 20)
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addTasks(scenario.tasks(60 * longRunFactor, durations: .uniform(1, 12)))
        let daemon = try scenario.startDaemon()
        #expect(await eventually(timeout: 20) { scenario.log.contains("to=PROCESSING") })
        let filled = disk.fill()
        let failing = await eventually(timeout: 20) { scenario.log.contains("database.write_failed") }
        try await Task.sleep(for: .seconds(5))
        #expect(daemon.process.isRunning, "the daemon waits for space instead of exiting")
        disk.free()
        let (drained, exitStatus) = try await scenario.drainThenStop(daemon, timeout: 60)
        #expect(exitStatus == 0)
        #expect(filled > 0)
        #expect(failing, "the full disk was logged")
        #expect(drained)
        let log = scenario.log
        #expect(log.contains("database or disk is full") || log.contains("SQLITE_FULL"), "the log names the cause")
        #expect(log.contains("database.available"), "the end of the episode is logged")
        let failureLines = log.split(separator: "\n").filter { $0.contains("database.write_failed") }.count
        #expect(failureLines <= 2, "the episode is logged once (and once a minute), not per row: \(failureLines)")
        #expect(try problems(in: scenario) == [])
        report("full-disk", ["rows": 60 * longRunFactor, "filler_bytes": filled, "failure_lines": failureLines])
    }

    @Test("a disk that stays full: exit 1 after polling.write_retry_seconds; a restart with space finishes every row")
    func fullDiskGivesUp() async throws {
        let scenario = try Scenario(databaseSubfolder: "disk")
        let disk = try SmallDisk(at: scenario.directory.path + "/disk", bytes: 16 << 20)
        try scenario.editConfiguration {
            $0.replacingOccurrences(
                of: #""write_retry_seconds": [0-9.]+"#, with: #""write_retry_seconds": 3"#, options: .regularExpression)
        }
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addTasks(scenario.tasks(30, durations: .uniform(1, 6)))
        let daemon = try scenario.startDaemon()
        #expect(await eventually(timeout: 20) { scenario.log.contains("to=PROCESSING") })
        disk.fill()
        let status = try await daemon.wait(timeout: 30)
        #expect(status == 1, "exit 1, for systemd's Restart=on-failure")
        #expect(scenario.log.contains("engine.fatal"))
        #expect(scenario.log.contains("cannot write to the database"))
        disk.free()
        let restarted = try scenario.startDaemon()
        let (drained, exitStatus) = try await scenario.drainThenStop(restarted, timeout: 60)
        #expect(exitStatus == 0)
        #expect(drained)
        #expect(try problems(in: scenario) == [])
    }

    @Test("the log's disk fills up: the first lost line is named on standard error, the count of lost lines in the log")
    func fullLogDisk() async throws {
        let scenario = try Scenario()
        let folder = scenario.directory.path + "/logdisk"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let disk = try SmallDisk(at: folder, bytes: 1 << 20)
        let logFile = folder + "/watcher.log"
        let (from, to) = (scenario.folder.logFile, logFile)
        try scenario.editConfiguration { $0.replacingOccurrences(of: from, with: to) }
        let log = { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addTasks(scenario.tasks(40, durations: .uniform(2, 6)))
        let daemon = try scenario.startDaemon()
        #expect(await eventually(timeout: 20) { log().contains("to=PROCESSING") })
        disk.fill()
        let noticed = await eventually(timeout: 20) { daemon.errorOutput.contains("log.write_failed") }
        disk.free()
        let (drained, exitStatus) = try await scenario.drainThenStop(daemon, timeout: 60)
        #expect(noticed, "standard error (the journal) names the log file that stopped taking lines")
        #expect(daemon.errorOutput.contains(logFile) && daemon.errorOutput.contains("No space left on device"))
        #expect(exitStatus == 0)
        #expect(drained)
        let dropped = log().split(separator: "\n").filter { $0.contains("log.lines_dropped") }
        #expect(dropped.count == 1, "the log says once that lines are missing, and how many")
        #expect(dropped.first?.contains("No space left on device") == true)
        #expect(try problems(in: scenario) == [])
    }

    @Test("a database on a read-only file system: check-config exits 2 and run exits non-zero, both naming it")
    func readOnlyFileSystem() async throws {
        let scenario = try Scenario(databaseSubfolder: "disk")
        let disk = try SmallDisk(at: scenario.directory.path + "/disk", bytes: 4 << 20)
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addTasks(scenario.tasks(3))
        try disk.remount(readOnly: true)
        let check = try await scenario.run(["check-config", "--config", scenario.folder.configFile])
        #expect(check.status == 2)
        #expect((check.output + check.error).contains(scenario.database), "\(check.output) \(check.error)")
        #expect((check.output + check.error).lowercased().contains("read-only"), "\(check.output) \(check.error)")
        let run = try await scenario.run(["run", "--config", scenario.folder.configFile], timeout: 30)
        #expect(run.status != 0)
        #expect((run.error + scenario.log).lowercased().contains("read-only"), "\(run.error)")
        try disk.remount(readOnly: false)
        #expect(try scenario.unfinishedCount() == 3, "nothing was changed")
    }
}
