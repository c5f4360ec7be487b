import Foundation

/// Tells systemd about the service's state through `$NOTIFY_SOCKET` (sd_notify(3)), without libsystemd.
///
/// One datagram per message on an `AF_UNIX` socket; the address is a path, or an abstract name when it starts
/// with `@`. Sending never blocks and never throws: a service manager that went away must not stop the watcher.
public final class SystemdNotifier: Sendable {
    /// The socket address as given in `NOTIFY_SOCKET`.
    public let address: String

    /// Reads `NOTIFY_SOCKET` from `environment`; nil when the process was not started by systemd with
    /// `Type=notify` (or the variable is unusable).
    public init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let address = environment["NOTIFY_SOCKET"], address.hasPrefix("/") || address.hasPrefix("@"),
            address.utf8.count < 108
        else { return nil }
        self.address = address
    }

    /// `READY=1`: configuration, keys and schema are good; `systemctl start` returns.
    @discardableResult
    public func ready(status: String? = nil) -> Bool {
        send(["READY=1"] + (status.map { ["STATUS=" + Self.oneLine($0)] } ?? []))
    }

    /// `STATUS=…`: the one-line summary `systemctl status` shows.
    @discardableResult
    public func status(_ line: String) -> Bool {
        send(["STATUS=" + Self.oneLine(line)])
    }

    /// `WATCHDOG=1`: the main loop is making progress.
    @discardableResult
    public func watchdog() -> Bool {
        send(["WATCHDOG=1"])
    }

    /// `RELOADING=1` with the monotonic time systemd expects, at the start of a reload; follow with ``ready(status:)``.
    @discardableResult
    public func reloading() -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let microseconds = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
        return send(["RELOADING=1", "MONOTONIC_USEC=\(microseconds)"])
    }

    /// `STOPPING=1`: shutdown has begun.
    @discardableResult
    public func stopping() -> Bool {
        send(["STOPPING=1"])
    }

    /// Sends `assignments`, one `KEY=value` per line, in one datagram; false when it could not be delivered.
    @discardableResult
    public func send(_ assignments: [String]) -> Bool {
        let message = Array(assignments.joined(separator: "\n").utf8)
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        var path = Array(address.utf8)
        // An abstract address starts with a NUL byte instead of the `@`, and its length counts exactly its bytes.
        if path.first == UInt8(ascii: "@") { path[0] = 0 }
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { buffer in
            buffer.copyBytes(from: path.prefix(buffer.count - 1))
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (path.first == 0 ? 0 : 1))
        let sent = message.withUnsafeBytes { bytes in
            withUnsafePointer(to: &socketAddress) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                    sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), address, length)
                }
            }
        }
        return sent == message.count
    }

    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

/// The watchdog systemd expects (`WatchdogSec=`), read from `WATCHDOG_USEC` and `WATCHDOG_PID`.
public struct WatchdogSettings: Sendable, Equatable {
    /// systemd's timeout in seconds.
    public let timeout: Double

    /// How often to send `WATCHDOG=1`: half the timeout, as sd_watchdog_enabled(3) advises.
    public var pingInterval: Double { timeout / 2 }

    /// Nil when no watchdog is expected of this process: no `WATCHDOG_USEC`, an unusable value, or a
    /// `WATCHDOG_PID` naming another process.
    public init?(environment: [String: String] = ProcessInfo.processInfo.environment, pid: pid_t = getpid()) {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = UInt64(text), microseconds > 0 else {
            return nil
        }
        if let owner = environment["WATCHDOG_PID"], !owner.isEmpty, owner != String(pid) { return nil }
        timeout = Double(microseconds) / 1_000_000
    }
}
