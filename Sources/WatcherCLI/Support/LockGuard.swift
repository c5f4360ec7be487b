import Foundation
import WatcherLog
import WatcherSystemd

/// Keeps the instance lock standing by its file name while the daemon runs: a lock file deleted by hand (or by a
/// cleanup job) would let a second instance lock a new file of the same name and double the request rate.
///
/// Every `interval` it asks ``InstanceLock/verify()``: a file gone or replaced is locked again by its name
/// (`watcher.lock_restored`); a file another instance locked in the meantime stops this one with a failure
/// (`watcher.lock_lost`), leaving the database to the instance that holds the lock now.
struct LockGuard: Sendable {
    let lock: InstanceLock
    let logger: Logger
    var interval: Duration = .seconds(5)

    /// Checks until cancelled; throws ``LockLost`` when another instance holds the lock now.
    func watch() async throws {
        var failing = false
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            switch lock.verify() {
            case .intact, .released:
                failing = false
            case .restored(let was):
                failing = false
                logger.warning(
                    "watcher.lock_restored",
                    [
                        "lock": .string(lock.path), "was": .string(was),
                        "hint": "the lock file keeps a second instance off this database; leave it in place",
                    ])
            case .heldElsewhere(let holder):
                let error = LockLost(lockPath: lock.path, databasePath: lock.databasePath, holder: holder)
                logger.error("watcher.lock_lost", ["error": .string(error.description)])
                throw error
            case .failed(let reason):
                if !failing { logger.warning("watcher.lock_check_failed", ["error": .string(reason)]) }
                failing = true
            }
        }
    }
}

/// The lock file was deleted and another instance locked a new one by its name: two instances ran on one database.
struct LockLost: Error, CustomStringConvertible {
    let lockPath: String
    let databasePath: String
    let holder: InstanceLockHolder?

    var description: String {
        "the lock file \(lockPath) was deleted or replaced and another wechatpay-watcher "
            + "(\(holder?.description ?? "pid unknown")) now holds it on \(databasePath); this instance stops so that "
            + "only one polls (two would double the request rate)"
    }
}
