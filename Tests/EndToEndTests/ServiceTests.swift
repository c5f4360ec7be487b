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
        let (drained, exitStatus) = try await scenario.drainThenStop(daemon, timeout: 30)
        #expect(exitStatus == 0)
        #expect(reopened, "a new log file appeared at \(scenario.folder.logFile)")
        #expect(drained)
        #expect(scenario.log.contains("transition"), "lines after the reload go to the new file")
        let old = try String(contentsOfFile: rotated, encoding: .utf8)
        #expect(old.contains("engine.started") && !old.contains("config.reloaded"))
    }

    @Test("a key file replaced at the same path is named at reload as needing a restart")
    func replacedKeyNamedAtReload() async throws {
        let scenario = try Scenario()
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        let daemon = try scenario.startDaemon()
        #expect(await eventually(timeout: 20) { scenario.log.contains("engine.started") })
        let keyFile = scenario.folder.privateKeyFile(of: try #require(scenario.folder.merchants.first).mchid)
        let key = try Data(contentsOf: URL(fileURLWithPath: keyFile))
        try key.write(to: URL(fileURLWithPath: keyFile + ".new"))
        #expect(rename(keyFile + ".new", keyFile) == 0, "as an operator installs a new key: mv over the old one")
        daemon.signal(SIGHUP)
        let reloaded = await eventually(timeout: 10) { scenario.log.contains("config.reloaded") }
        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)
        #expect(reloaded)
        let line = scenario.log.split(separator: "\n").first { $0.contains("config.reloaded") } ?? ""
        #expect(line.contains("restart_needed_for=merchants"), "\(line)")
        #expect(line.contains(keyFile), "\(line)")
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
        let (drained, exitStatus) = try await scenario.drainThenStop(daemon, timeout: 30)
        #expect(exitStatus == 0)
        #expect(rejected)
        #expect(scenario.log.contains("log_levle"), "the error names the unknown key")
        #expect(drained, "the daemon kept watching with the running configuration")
    }

    @Test(
        "under a fake systemd: READY once started, STATUS lines, WATCHDOG while running, STOPPING on SIGTERM",
        arguments: [false, true])
    func notifies(abstract: Bool) async throws {
        let scenario = try Scenario()
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        let socket = try NotifySocket(abstract: abstract)
        let daemon = try scenario.startDaemon(environment: [
            "NOTIFY_SOCKET": socket.address, "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "",
        ])
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(8)
        while Date() < deadline, messages.filter({ $0 == "WATCHDOG=1" }).count < 3 {
            if let message = socket.receive() { messages.append(message) }
        }
        daemon.signal(SIGTERM)
        while let message = socket.receive() {
            messages.append(message)
            if message == "STOPPING=1" { break }
        }
        #expect(try await daemon.wait(timeout: 20) == 0)
        #expect(messages.first?.hasPrefix("READY=1") == true, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("STATUS=pending=") }, "\(messages)")
        #expect(messages.filter { $0 == "WATCHDOG=1" }.count >= 3, "a ping every second for WatchdogSec=2")
        #expect(messages.last == "STOPPING=1")
    }

    @Test("a second run on the same database exits 1 naming the running instance")
    func secondInstanceRefused() async throws {
        let scenario = try Scenario()
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        let daemon = try scenario.startDaemon()
        #expect(await eventually(timeout: 20) { scenario.log.contains("engine.started") })
        let second = try await scenario.run(["run", "--config", scenario.folder.configFile], timeout: 20)
        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)
        #expect(second.status == 1)
        #expect(second.error.contains("already running"), "\(second.error)")
        #expect(second.error.contains("pid \(daemon.process.processIdentifier)"), "\(second.error)")
    }

    @Test("a lock file deleted while the daemon runs is locked again by its name: a second run is still refused")
    func deletedLockRestored() async throws {
        let scenario = try Scenario()
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        let daemon = try scenario.startDaemon()
        #expect(await eventually(timeout: 20) { scenario.log.contains("engine.started") })
        try FileManager.default.removeItem(atPath: scenario.database + ".lock")
        let restored = await eventually(timeout: 20) { scenario.log.contains("watcher.lock_restored") }
        let second = try await scenario.run(["run", "--config", scenario.folder.configFile], timeout: 20)
        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)
        #expect(restored, "the daemon noticed within its 5 s check")
        #expect(second.status == 1 && second.error.contains("already running"), "\(second.error)")
    }

    @Test("a lock file deleted and locked by another process meanwhile: the daemon stops with exit 1, naming it")
    func lockLostStops() async throws {
        let scenario = try Scenario()
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        let daemon = try scenario.startDaemon()
        #expect(await eventually(timeout: 20) { scenario.log.contains("engine.started") })
        let lockPath = scenario.database + ".lock"
        try FileManager.default.removeItem(atPath: lockPath)
        // What a second instance does on start: an open-file-description lock on a new file, and its record.
        let other = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o660)
        defer { close(other) }
        var request = flock()
        request.l_type = Int16(F_WRLCK)
        request.l_whence = Int16(SEEK_SET)
        #expect(fcntl(other, 37, &request) == 0, "F_OFD_SETLK")
        let record = Array("pid=4242\nstarted=2026-12-02T12:00:00.000Z\n".utf8)
        _ = record.withUnsafeBytes { write(other, $0.baseAddress, $0.count) }
        let status = try await daemon.wait(timeout: 20)
        #expect(status == 1)
        #expect(scenario.log.contains("watcher.lock_lost"))
        #expect(scenario.log.contains("pid 4242"), "names the instance that holds the lock now")
    }

    @Test("metrics_file gets a Prometheus textfile with requests, transitions and pending")
    func metricsFile() async throws {
        let scenario = try Scenario()
        let metrics = scenario.directory.file("wechatpay_watcher.prom")
        let config = try String(contentsOfFile: scenario.folder.configFile, encoding: .utf8)
            .replacingOccurrences(of: "\"metrics_file\": null", with: "\"metrics_file\": \"\(metrics)\"")
        try config.write(toFile: scenario.folder.configFile, atomically: true, encoding: .utf8)
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addTasks(scenario.tasks(5))
        let daemon = try scenario.startDaemon()
        let written = await eventually(timeout: 20) {
            ((try? String(contentsOfFile: metrics, encoding: .utf8)) ?? "").contains("state=\"SUCCESS\"")
        }
        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)
        #expect(written)
        let text = (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? ""
        #expect(text.contains("# TYPE wechatpay_watcher_requests_total counter"))
        #expect(
            text.contains(
                "wechatpay_watcher_requests_total{api=\"image_generation_task\",merchant=\"\(scenario.mchid)\",status=\"200\"}"
            ))
        #expect(text.contains("wechatpay_watcher_pending{"))
    }
}

/// A datagram socket standing in for systemd's notification socket.
final class NotifySocket {
    let address: String
    private let descriptor: Int32

    init(abstract: Bool) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var template = Array((NSTemporaryDirectory() + "notify-XXXXXX").utf8CString)
        let folder = String(cString: mkdtemp(&template)!)
        address =
            abstract ? "@wechatpay-watcher-e2e-\(getpid())-\(UInt32.random(in: 0...UInt32.max))" : folder + "/notify"
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        var path = Array(address.utf8)
        if abstract { path[0] = 0 }
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { $0.copyBytes(from: path) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (abstract ? 0 : 1))
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// The next datagram, or nil after a second.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : nil
    }
}
