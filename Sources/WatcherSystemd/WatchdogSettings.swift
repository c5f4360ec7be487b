import Foundation

/// The watchdog systemd expects of this process (`WatchdogSec=`), from `WATCHDOG_USEC` and `WATCHDOG_PID`
/// (sd_watchdog_enabled(3)).
///
/// ```swift
/// if let watchdog = WatchdogSettings() { schedulePings(every: watchdog.pingInterval) }  // 15 s for WatchdogSec=30
/// ```
package struct WatchdogSettings: Sendable, Equatable {
    /// systemd's timeout in microseconds, as `WATCHDOG_USEC` gives it.
    package let timeoutMicroseconds: UInt64

    /// systemd's timeout in seconds.
    package var timeout: Double { Double(timeoutMicroseconds) / 1_000_000 }

    /// How often to send `WATCHDOG=1`, in seconds: half the timeout, as sd_watchdog_enabled(3) advises, so one
    /// late ping is not yet fatal.
    package var pingInterval: Double { timeout / 2 }

    /// A watchdog of `timeoutMicroseconds` (more than zero).
    package init(timeoutMicroseconds: UInt64) {
        precondition(timeoutMicroseconds > 0, "a watchdog timeout is positive")
        self.timeoutMicroseconds = timeoutMicroseconds
    }

    /// The watchdog, or nil when none is expected of this process; ``resolve(environment:pid:)`` says why not.
    package init?(environment: [String: String] = ProcessInfo.processInfo.environment, pid: pid_t = getpid()) {
        guard case .enabled(let settings) = Self.resolve(environment: environment, pid: pid) else { return nil }
        self = settings
    }

    /// Whether systemd expects pings from the process `pid`, and if not, why.
    ///
    /// `WATCHDOG_PID`, when present, names the process the watchdog is for: a child that inherited the
    /// environment must not ping on its parent's behalf. A value that is not a positive number of microseconds,
    /// or is `UINT64_MAX` (systemd's "infinity"), disables the watchdog with the reason.
    package static func resolve(
        environment: [String: String] = ProcessInfo.processInfo.environment, pid: pid_t = getpid()
    ) -> Resolution {
        guard let text = environment["WATCHDOG_USEC"] else { return .disabled(reason: "WATCHDOG_USEC is not set") }
        guard let microseconds = decimal(text), microseconds > 0, microseconds != .max else {
            return .disabled(reason: "WATCHDOG_USEC \"\(text)\" is not a positive number of microseconds")
        }
        if let owner = environment["WATCHDOG_PID"] {
            guard let ownerPid = decimal(owner) else {
                return .disabled(reason: "WATCHDOG_PID \"\(owner)\" is not a process id")
            }
            guard UInt64(exactly: pid) == ownerPid else {
                return .disabled(reason: "WATCHDOG_PID \(ownerPid) names another process than this one (pid \(pid))")
            }
        }
        return .enabled(WatchdogSettings(timeoutMicroseconds: microseconds))
    }

    /// The outcome of reading the environment.
    package enum Resolution: Sendable, Equatable {
        /// systemd expects `WATCHDOG=1` at least this often.
        case enabled(WatchdogSettings)
        /// No pings expected; `reason` is a sentence for the log.
        case disabled(reason: String)
    }

    /// Digits only: no sign, no spaces, no hexadecimal, so a garbled variable is not half-understood.
    private static func decimal(_ text: String) -> UInt64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return nil
        }
        return UInt64(text)
    }
}
