import Foundation

/// Tells systemd about the service's state through `$NOTIFY_SOCKET` (sd_notify(3)), without libsystemd.
///
/// Each message is one datagram on a fresh `AF_UNIX`/`SOCK_DGRAM` socket, as libsystemd does it. The address is
/// a file system path, or a name in the abstract namespace when it starts with `@`. Sending never throws through
/// the convenience methods and never waits more than ``sendTimeout``: a service manager that went away or lags
/// must not stop the watcher.
///
/// ```swift
/// let notifier = SystemdNotifier()  // nil unless started by systemd with Type=notify
/// notifier?.ready(status: "watching 2 merchant(s)")
/// ```
package final class SystemdNotifier: Sendable {
    /// The socket address as given in `NOTIFY_SOCKET`, e.g. `/run/systemd/notify` or `@/org/freedesktop/…`.
    package let address: String
    /// The longest a send may wait for room in systemd's receive queue before it gives up.
    package static let sendTimeout: Duration = .milliseconds(250)

    private let socketAddress: UnixDatagramAddress

    /// Reads `NOTIFY_SOCKET` from `environment`; nil when the process was not started by systemd with
    /// `Type=notify`, or when the value is neither an absolute path nor an `@` abstract name that fits `sun_path`.
    package init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let address = environment["NOTIFY_SOCKET"], let socketAddress = UnixDatagramAddress(address) else {
            return nil
        }
        self.address = address
        self.socketAddress = socketAddress
    }

    /// `READY=1`, and the first `STATUS=` line when given: start-up is complete, `systemctl start` returns.
    @discardableResult
    package func ready(status: String? = nil) -> Bool {
        send(["READY=1"] + (status.map { ["STATUS=" + Self.oneLine($0)] } ?? []))
    }

    /// `STATUS=…`: the summary `systemctl status` shows. Line breaks become spaces, since one line is all
    /// systemd keeps.
    @discardableResult
    package func status(_ line: String) -> Bool {
        send("STATUS=" + Self.oneLine(line))
    }

    /// `WATCHDOG=1`: the main loop is making progress; systemd restarts the service when these stop coming.
    @discardableResult
    package func watchdog() -> Bool {
        send("WATCHDOG=1")
    }

    /// `RELOADING=1` with `MONOTONIC_USEC` (`CLOCK_MONOTONIC` in microseconds), which sd_notify(3) requires
    /// with it; call at the start of a reload and ``ready(status:)`` at its end.
    @discardableResult
    package func reloading() -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let microseconds = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
        return send(["RELOADING=1", "MONOTONIC_USEC=\(microseconds)"])
    }

    /// `STOPPING=1`: shutdown has begun.
    @discardableResult
    package func stopping() -> Bool {
        send("STOPPING=1")
    }

    /// Sends `assignments` (`KEY=value` each) as one message, one per line; false when it was not delivered.
    @discardableResult
    package func send(_ assignments: [String]) -> Bool {
        send(assignments.joined(separator: "\n"))
    }

    /// Sends `message` (newline-separated `KEY=value` lines) as one datagram; false when it was not delivered.
    /// ``deliver(_:)`` says why.
    @discardableResult
    package func send(_ message: String) -> Bool {
        do {
            try deliver(message)
            return true
        } catch {
            return false
        }
    }

    /// Sends `message` as one datagram, or throws what went wrong: a missing socket, a full queue, a refusal.
    package func deliver(_ message: String) throws(SystemdNotifierError) {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SystemdNotifierError(address: address, operation: "socket", code: errno) }
        defer { close(descriptor) }
        var timeout = timeval(
            tv_sec: Int(Self.sendTimeout.components.seconds),
            tv_usec: Int(Self.sendTimeout.components.attoseconds / 1_000_000_000_000))
        _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(message.utf8)
        let sent = bytes.withUnsafeBytes { buffer in
            socketAddress.withSocketAddress { address, length in
                // MSG_NOSIGNAL: a vanished peer is an error to report, not a SIGPIPE to die of.
                sendto(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), address, length)
            }
        }
        guard sent >= 0 else { throw SystemdNotifierError(address: address, operation: "sendto", code: errno) }
        guard sent == bytes.count else {
            throw SystemdNotifierError(address: address, operation: "sendto", code: EMSGSIZE)
        }
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

/// Why a message did not reach systemd's notification socket.
package struct SystemdNotifierError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `NOTIFY_SOCKET` address.
    package let address: String
    /// The system call that failed: `socket` or `sendto`.
    package let operation: String
    /// Its `errno`, e.g. `ENOENT` when the socket is gone, `EAGAIN` when systemd's queue stayed full.
    package let code: Int32

    /// `cannot notify systemd at /run/systemd/notify: sendto: No such file or directory`.
    package var description: String {
        "cannot notify systemd at \(address): \(operation): \(systemErrorText(code))"
    }
}
