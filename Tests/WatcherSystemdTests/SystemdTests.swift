import Foundation
import Testing
import WatcherSystemd

/// A datagram socket standing in for systemd's notification socket.
private final class FakeNotifySocket {
    let address: String
    private let descriptor: Int32

    /// Binds a path socket in a fresh folder, or an abstract one (`@…`).
    init(abstract: Bool) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var template = Array((NSTemporaryDirectory() + "notify-XXXXXX").utf8CString)
        let folder = String(cString: mkdtemp(&template)!)
        address =
            abstract ? "@wechatpay-watcher-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))" : folder + "/notify"
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
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// The next datagram, or nil after two seconds.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : nil
    }
}

@Suite("SystemdNotifier")
struct SystemdNotifierTests {
    @Test("READY, STATUS, WATCHDOG and STOPPING reach a path socket and an abstract socket", arguments: [false, true])
    func deliversEveryMessage(abstract: Bool) throws {
        let fake = try FakeNotifySocket(abstract: abstract)
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": fake.address]))
        #expect(notifier.ready(status: "watching 3 rows"))
        #expect(fake.receive() == "READY=1\nSTATUS=watching 3 rows")
        #expect(notifier.status("pending 2\nthrottled 0"))
        #expect(fake.receive() == "STATUS=pending 2 throttled 0", "a status is one line")
        #expect(notifier.watchdog())
        #expect(fake.receive() == "WATCHDOG=1")
        #expect(notifier.reloading())
        #expect(fake.receive()?.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") == true)
        #expect(notifier.stopping())
        #expect(fake.receive() == "STOPPING=1")
    }

    @Test("without NOTIFY_SOCKET, or with an unusable one, there is no notifier")
    func absent() {
        #expect(SystemdNotifier(environment: [:]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "relative/path"]) == nil)
    }

    @Test("a socket that went away makes sending fail quietly, not crash")
    func vanished() throws {
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/notify"]))
        #expect(!notifier.watchdog())
    }
}

@Suite("WatchdogSettings")
struct WatchdogSettingsTests {
    @Test("WATCHDOG_USEC gives the timeout; pings go out at half of it")
    func interval() throws {
        let settings = try #require(WatchdogSettings(environment: ["WATCHDOG_USEC": "30000000"], pid: 42))
        #expect(settings.timeout == 30)
        #expect(settings.pingInterval == 15)
    }

    @Test("a WATCHDOG_PID naming another process, or a nonsense value, means no watchdog for us")
    func notOurs() {
        #expect(WatchdogSettings(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "7"], pid: 42) == nil)
        #expect(WatchdogSettings(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "42"], pid: 42) != nil)
        #expect(WatchdogSettings(environment: ["WATCHDOG_USEC": "soon"], pid: 42) == nil)
        #expect(WatchdogSettings(environment: [:], pid: 42) == nil)
    }
}

@Suite("InstanceLock")
struct InstanceLockTests {
    @Test("a second lock on the same database is refused, naming the holder; released when the first goes")
    func secondRefused() throws {
        var template = Array((NSTemporaryDirectory() + "lock-XXXXXX").utf8CString)
        let folder = String(cString: mkdtemp(&template)!)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let database = folder + "/watcher.sqlite3"
        var first: InstanceLock? = try InstanceLock.acquire(databasePath: database)
        #expect(first?.path == database + ".lock")
        let failure = #expect(throws: InstanceLock.Failure.self) {
            _ = try InstanceLock.acquire(databasePath: database)
        }
        #expect(failure?.description.contains("pid \(getpid())") == true, "\(failure?.description ?? "")")
        #expect(failure?.description.contains(database) == true)
        first = nil
        #expect(throws: Never.self) { _ = try InstanceLock.acquire(databasePath: database) }
    }
}

@Suite("PrometheusTextfile")
struct PrometheusTextfileTests {
    @Test("renders HELP, TYPE and sorted samples with escaped label values")
    func render() {
        let file = PrometheusTextfile(families: [
            .init(
                name: "wechatpay_watcher_requests_total", help: "Requests sent.\nBy status.", kind: .counter,
                samples: [
                    .init(["merchant": "1900000002", "status": "200"], 3),
                    .init(["merchant": "1900000001", "status": "a\"b\\c"], 12),
                ]),
            .init(name: "wechatpay_watcher_pending", help: "Rows watched.", kind: .gauge, samples: [.init([:], 0.5)]),
        ])
        #expect(
            file.render() == """
                # HELP wechatpay_watcher_requests_total Requests sent.\\nBy status.
                # TYPE wechatpay_watcher_requests_total counter
                wechatpay_watcher_requests_total{merchant="1900000001",status="a\\"b\\\\c"} 12
                wechatpay_watcher_requests_total{merchant="1900000002",status="200"} 3
                # HELP wechatpay_watcher_pending Rows watched.
                # TYPE wechatpay_watcher_pending gauge
                wechatpay_watcher_pending 0.5

                """)
    }

    @Test("writes atomically: the file is complete and no temporary file is left behind")
    func atomicWrite() throws {
        var template = Array((NSTemporaryDirectory() + "metrics-XXXXXX").utf8CString)
        let folder = String(cString: mkdtemp(&template)!)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/wechatpay_watcher.prom"
        let file = PrometheusTextfile(families: [.init(name: "up", help: "Up.", kind: .gauge, samples: [.init([:], 1)])]
        )
        try file.write(to: path)
        try file.write(to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == file.render())
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["wechatpay_watcher.prom"])
    }
}
