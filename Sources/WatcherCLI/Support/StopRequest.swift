import Foundation
import WatcherEngine
import WatcherLog
import WatcherSync
import WatcherSystemd

/// What SIGTERM and SIGINT do, from the first line of `run` on.
///
/// Before the engine exists — configuration, keys, the instance lock, migrations — a stop signal ends the process at
/// once with exit 0 and a line on standard error: nothing has been polled, and every step of start-up is safe to
/// cut (the database changes only in transactions). Without this the signal's default action would kill the process
/// silently. Once ``attach(engine:logger:notifier:)`` has run, a stop signal is logged and stops the engine, which
/// finishes the polls in flight and writes every answer; a stop that arrives before the engine's `run` starts is
/// kept by the engine and makes `run` return at once.
final class StopRequest: Sendable {
    private struct Target {
        var engine: WatcherEngine
        var logger: Logger
        var notifier: SystemdNotifier?
    }

    private let target = Locked<Target?>(nil)

    /// From now on a stop signal stops `engine`.
    func attach(engine: WatcherEngine, logger: Logger, notifier: SystemdNotifier?) {
        target.withLock { $0 = Target(engine: engine, logger: logger, notifier: notifier) }
    }

    /// Handles one stop signal.
    func received(_ name: String) {
        guard let target = target.withLock({ $0 }) else {
            FileHandle.standardError.write(
                Data("wechatpay-watcher: \(name) during start-up; exiting before any poll\n".utf8))
            exit(0)
        }
        target.logger.info("signal.received", ["signal": .string(name)])
        target.notifier?.stopping()
        target.engine.stop()
    }
}
