import Foundation
import WatcherLog
import WatcherServices
import WatcherSync
import WatcherSystemd

/// What SIGTERM and SIGINT do, from the first line of `run` on; as a service, it is how a signal stops the daemon.
///
/// Before the daemon's services exist — configuration, keys, the instance lock, migrations — a stop signal ends the
/// process at once with exit 0 and a line on standard error: nothing has been polled, and every step of start-up is
/// safe to cut (the database changes only in transactions). Without this the signal's default action would kill the
/// process silently. Once ``attach(logger:notifier:)`` has run, a stop signal is logged and makes ``run()`` return,
/// which stops the service group: polls in flight finish and every answer is written. A stop that arrives before
/// the group runs is kept and makes it stop at once.
final class StopRequest: Service {
    private struct Target {
        var logger: Logger
        var notifier: SystemdNotifier?
    }

    private let target = Locked<Target?>(nil)
    private let trigger = StopTrigger()

    /// From now on a stop signal stops the group this service runs in.
    func attach(logger: Logger, notifier: SystemdNotifier?) {
        target.withLock { $0 = Target(logger: logger, notifier: notifier) }
    }

    /// Handles one stop signal.
    func received(_ name: String) {
        guard let target = target.withLock({ $0 }) else {
            FileHandle.standardError.write(
                Data("wechatpay-watcher: \(name) during start-up; exiting before any poll\n".utf8))
            // Not exit(3): its handlers (OpenSSL's cleanup among them) would tear down what start-up is using on
            // another thread at this moment, and crash. Log lines are written unbuffered; SQLite needs no flush.
            _exit(0)
        }
        target.logger.info("signal.received", ["signal": .string(name)])
        target.notifier?.stopping()
        trigger.trigger()
    }

    /// Returns when a stop signal arrives (or at once if one already did).
    func run() async { await trigger.run() }

    func stop() async { trigger.trigger() }
}
