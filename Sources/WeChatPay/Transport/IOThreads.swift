import Foundation
import WatcherSync

/// The threads the transport's blocking work runs on: name resolution, connection, handshake, request and answer
/// of one exchange at a time each, never on the cooperative pool.
///
/// A thread is started when a job finds none idle, so a hung peer holds only its own thread (until its request's
/// deadline) and never delays another request. A job goes to the thread that became idle last, so after a burst the
/// threads the steady load does not need stay idle and end after `idleLifetime`: handing jobs round-robin kept every
/// thread of the largest burst alive (and its stack resident) for the whole run.
final class IOThreads: Sendable {
    /// One idle thread's mailbox.
    private final class Sleeper: @unchecked Sendable {
        // @unchecked: `job` is read and written only while `condition` is locked.
        let condition = NSCondition()
        var job: (@Sendable () -> Void)?
    }

    /// Idle threads, the one that became idle last at the end.
    private let sleepers = Locked<[Sleeper]>([])
    private let started = Locked(0)
    private let idleLifetime: TimeInterval

    /// The process's threads.
    static let shared = IOThreads(idleLifetime: 30)

    init(idleLifetime: TimeInterval) {
        self.idleLifetime = idleLifetime
    }

    /// Threads alive now, busy or idle.
    var threadCount: Int { started.withLock { $0 } }

    /// Runs `job` on the thread that became idle last, or on a new one.
    func run(_ job: @escaping @Sendable () -> Void) {
        if let sleeper = sleepers.withLock({ $0.popLast() }) {
            sleeper.condition.lock()
            sleeper.job = job
            sleeper.condition.unlock()
            // Signalled after the unlock: a thread woken while the lock is held wakes only to wait for it again.
            sleeper.condition.signal()
            return
        }
        started.withLock { $0 += 1 }
        let thread = Thread { [self] in work(first: job) }
        thread.name = "wechatpay-transport-io"
        thread.start()
    }

    private func work(first: @escaping @Sendable () -> Void) {
        let sleeper = Sleeper()
        var next: (@Sendable () -> Void)? = first
        while let job = next {
            job()
            next = wait(as: sleeper)
        }
        started.withLock { $0 -= 1 }
    }

    /// The next job handed to this thread, or nil once it has been idle for `idleLifetime`.
    private func wait(as sleeper: Sleeper) -> (@Sendable () -> Void)? {
        sleepers.withLock { $0.append(sleeper) }
        let deadline = Date(timeIntervalSinceNow: idleLifetime)
        sleeper.condition.lock()
        defer { sleeper.condition.unlock() }
        while sleeper.job == nil, sleeper.condition.wait(until: deadline) {}
        if sleeper.job == nil {
            let left = sleepers.withLock { sleepers -> Bool in
                guard let index = sleepers.firstIndex(where: { $0 === sleeper }) else { return false }
                sleepers.remove(at: index)
                return true
            }
            if left { return nil }
            // `run` took this thread off the list just as the wait ended: its job is on the way.
            while sleeper.job == nil { sleeper.condition.wait() }
        }
        let job = sleeper.job
        sleeper.job = nil
        return job
    }
}
