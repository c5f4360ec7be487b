import Foundation
import Testing
import WatcherSystemd

@Suite("SystemdNotifier")
struct SystemdNotifierTests {
    @Test(
        "READY, STATUS, WATCHDOG, RELOADING and STOPPING each arrive as one datagram",
        arguments: FakeNotifySocket.Namespace.allCases)
    func deliversEveryMessage(namespace: FakeNotifySocket.Namespace) throws {
        let systemd = try FakeNotifySocket(namespace)
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": systemd.address]))
        #expect(notifier.address == systemd.address)

        #expect(notifier.ready())
        #expect(systemd.receive() == "READY=1")
        #expect(notifier.ready(status: "watching 3 merchant(s)"))
        #expect(systemd.receive() == "READY=1\nSTATUS=watching 3 merchant(s)")
        #expect(notifier.status("pending 2\nthrottled 0\r\nlast error none"))
        #expect(systemd.receive() == "STATUS=pending 2 throttled 0 last error none", "a status is one line")
        #expect(notifier.watchdog())
        #expect(systemd.receive() == "WATCHDOG=1")
        #expect(notifier.stopping())
        #expect(systemd.receive() == "STOPPING=1")
        #expect(notifier.send(["EXTEND_TIMEOUT_USEC=5000000", "STATUS=migrating"]))
        #expect(systemd.receive() == "EXTEND_TIMEOUT_USEC=5000000\nSTATUS=migrating")
    }

    @Test("RELOADING=1 carries the monotonic clock in microseconds, as sd_notify(3) requires")
    func reloadingCarriesMonotonicTime() throws {
        let systemd = try FakeNotifySocket(.path)
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": systemd.address]))
        let before = monotonicMicroseconds()
        #expect(notifier.reloading())
        let after = monotonicMicroseconds()
        let lines = try #require(systemd.receive()).split(separator: "\n")
        #expect(lines.first == "RELOADING=1")
        #expect(lines.count == 2)
        let stamp = try #require(lines.last?.split(separator: "=", maxSplits: 1))
        #expect(stamp.first == "MONOTONIC_USEC")
        let microseconds = try #require(stamp.last.flatMap { UInt64($0) })
        #expect((before...after).contains(microseconds))
    }

    @Test(
        "there is no notifier without a usable NOTIFY_SOCKET",
        arguments: [
            nil, "", "relative/notify", "vsock:2:1234", "/run/" + String(repeating: "x", count: 103),
            "@" + String(repeating: "x", count: 108), "/run/sys\0temd/notify",
        ])
    func absent(value: String?) {
        let environment = value.map { ["NOTIFY_SOCKET": $0] } ?? [:]
        #expect(SystemdNotifier(environment: environment) == nil)
    }

    @Test("the longest addresses sun_path holds are accepted: 107 path bytes plus NUL, or NUL plus 107 name bytes")
    func longestAddresses() {
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/" + String(repeating: "x", count: 106)]) != nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "@" + String(repeating: "x", count: 107)]) != nil)
    }

    @Test("a socket that is gone makes sending fail with a reason, not crash or throw from the conveniences")
    func vanished() throws {
        let folder = TemporaryFolder()
        let address = folder.file("notify")
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": address]))
        #expect(!notifier.watchdog())
        #expect(!notifier.ready(status: "up"))
        let error = #expect(throws: SystemdNotifierError.self) { try notifier.deliver("WATCHDOG=1") }
        #expect(error?.code == ENOENT)
        #expect(error?.description == "cannot notify systemd at \(address): sendto: No such file or directory")
    }

    @Test("when systemd's queue is full, a send gives up after sendTimeout instead of blocking the caller")
    func fullQueueDoesNotBlock() throws {
        let systemd = try FakeNotifySocket(.abstract, receiveBufferBytes: 4096)
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": systemd.address]))
        let clock = ContinuousClock()
        var failure: SystemdNotifierError?
        var failedAfter = Duration.zero
        for _ in 0..<5_000 where failure == nil {
            let start = clock.now
            do {
                try notifier.deliver("STATUS=" + String(repeating: "x", count: 200))
            } catch {
                failure = error
                failedAfter = clock.now - start
            }
        }
        let error = try #require(failure, "the queue never filled up")
        #expect(error.code == EAGAIN)
        #expect(failedAfter >= SystemdNotifier.sendTimeout - .milliseconds(50))
        #expect(failedAfter < SystemdNotifier.sendTimeout + .seconds(1))
        #expect(systemd.receive()?.hasPrefix("STATUS=xxx") == true, "what was queued is still delivered")
    }
}

private func monotonicMicroseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
}

@Suite("SystemdNotifier.extendingStartTimeout")
struct StartTimeoutExtensionTests {
    @Test("while the step runs, systemd is asked for three intervals more, with the status on one line")
    func extendsWhileTheStepRuns() throws {
        let systemd = try FakeNotifySocket(.path)
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": systemd.address]))
        // The step waits for the message itself: it arrives while the step holds its thread.
        let received = notifier.extendingStartTimeout(status: "rewriting\nthe database", every: .milliseconds(100)) {
            systemd.receive()
        }
        #expect(received == "EXTEND_TIMEOUT_USEC=300000\nSTATUS=rewriting the database")
    }

    @Test("the step's error comes through unchanged")
    func passesTheErrorOn() throws {
        struct StepFailed: Error, Equatable {}
        let systemd = try FakeNotifySocket(.path)
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": systemd.address]))
        #expect(throws: StepFailed()) {
            try notifier.extendingStartTimeout(status: "migrating") { () throws(StepFailed) in throw StepFailed() }
        }
    }
}
