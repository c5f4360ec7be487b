import Foundation

/// The threads the transport's blocking work runs on: name resolution, connection, handshake, request and answer
/// of one exchange at a time each, never on the cooperative pool.
///
/// A thread is started when a job finds none idle, so a hung peer holds only its own thread (until its request's
/// deadline) and never delays another request; idle threads end after a while.
final class IOThreads: @unchecked Sendable {
    // @unchecked: `jobs`, `idle` and `running` are read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var idle = 0
    private var running = 0
    private let idleLifetime: TimeInterval

    /// The process's threads.
    static let shared = IOThreads(idleLifetime: 30)

    init(idleLifetime: TimeInterval) {
        self.idleLifetime = idleLifetime
    }

    /// Runs `job` on an idle thread, or on a new one.
    func run(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        let start = idle < jobs.count
        if start { running += 1 } else { condition.signal() }
        condition.unlock()
        guard start else { return }
        let thread = Thread { [self] in work() }
        thread.name = "wechatpay-transport-io"
        thread.start()
    }

    private func work() {
        condition.lock()
        while true {
            if !jobs.isEmpty {
                let job = jobs.removeFirst()
                condition.unlock()
                job()
                condition.lock()
                continue
            }
            idle += 1
            let woken = condition.wait(until: Date(timeIntervalSinceNow: idleLifetime))
            idle -= 1
            if !woken, jobs.isEmpty {
                running -= 1
                condition.unlock()
                return
            }
        }
    }
}
