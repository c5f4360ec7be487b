import Foundation
import Glibc

/// One thread that runs the daemon's tasks and actors, and the timers of their waits: the engine's task executor.
///
/// On the global concurrent executor every hand-off between a lane, a poll, the writer and a timer woke another
/// thread (Dispatch wakes an idle worker for each job, and its timer thread for each sleep): about twenty context
/// switches per request at a merchant's full rate. Here a job enqueued by the thread itself only joins the queue it
/// is draining, a timer is the thread's own timed wait, and only work arriving from outside (an answer from an I/O
/// thread, a commit from SQLite's queue) wakes it, and only when it sleeps. Blocking work never runs here: sockets
/// run on the transport's I/O threads and SQLite on each connection's queue; what runs here is signing, verifying
/// and the engine's bookkeeping.
package final class EngineThread: TaskExecutor, @unchecked Sendable {
    // @unchecked Sendable: `jobs`, `timers`, `nextTimerID` and `sleeping` are read and written only while `mutex` is
    // held; `mutex` and `condition` live at fixed addresses for the object's lifetime.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var jobs: [UnownedJob] = []
    private var timers: [UInt64: Timer] = [:]
    private var nextTimerID: UInt64 = 0
    private var sleeping = false

    private struct Timer {
        /// `CLOCK_MONOTONIC` nanoseconds, the clock the condition waits on.
        var deadline: UInt64
        var action: @Sendable () -> Void
    }

    /// Starts the thread; it lives as long as the process (the daemon makes one).
    package init(name: String) {
        mutex.initialize(to: pthread_mutex_t())
        precondition(pthread_mutex_init(mutex, nil) == 0, "pthread_mutex_init failed")
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        // Timed waits count in monotonic time: a wall-clock step must not delay or advance a poll.
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        condition.initialize(to: pthread_cond_t())
        precondition(pthread_cond_init(condition, &attributes) == 0, "pthread_cond_init failed")
        pthread_condattr_destroy(&attributes)
        let thread = Thread { [self] in loop() }
        thread.name = name
        thread.start()
    }

    /// Queues a job; wakes the thread only if it sleeps (a job it enqueues itself waits for the current one to end).
    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(mutex)
        jobs.append(job)
        let wake = sleeping
        pthread_mutex_unlock(mutex)
        if wake { pthread_cond_signal(condition) }
    }

    /// Calls `action` on this thread once `seconds` have passed, unless ``cancelTimer(_:)`` comes first; `action`
    /// must be quick (it runs between jobs). Returns the timer's id.
    package func schedule(afterSeconds seconds: Double, _ action: @escaping @Sendable () -> Void) -> UInt64 {
        // Capped at a year: a longer wait is a wait for a signal in all but name.
        let deadline = Self.monotonicNanoseconds() + UInt64(min(max(0, seconds), 31_536_000) * 1e9)
        pthread_mutex_lock(mutex)
        nextTimerID &+= 1
        let id = nextTimerID
        timers[id] = Timer(deadline: deadline, action: action)
        // A sleeping thread waits for its earliest timer: it must look again if this one comes sooner.
        let wake = sleeping
        pthread_mutex_unlock(mutex)
        if wake { pthread_cond_signal(condition) }
        return id
    }

    /// Removes a timer that has not fired; false when it already fired or was cancelled.
    @discardableResult
    package func cancelTimer(_ id: UInt64) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return timers.removeValue(forKey: id) != nil
    }

    private func loop() {
        var batch: [UnownedJob] = []
        var due: [@Sendable () -> Void] = []
        while true {
            pthread_mutex_lock(mutex)
            while true {
                let next = takeDueTimers(into: &due, now: Self.monotonicNanoseconds())
                if !jobs.isEmpty || !due.isEmpty { break }
                sleeping = true
                if let next {
                    var until = timespec(
                        tv_sec: Int(next / 1_000_000_000), tv_nsec: Int(next % 1_000_000_000))
                    pthread_cond_timedwait(condition, mutex, &until)
                } else {
                    pthread_cond_wait(condition, mutex)
                }
                sleeping = false
            }
            swap(&batch, &jobs)
            pthread_mutex_unlock(mutex)
            for action in due { action() }
            due.removeAll(keepingCapacity: true)
            let executor = asUnownedTaskExecutor()
            for job in batch { job.runSynchronously(on: executor) }
            batch.removeAll(keepingCapacity: true)
        }
    }

    /// Moves the actions of timers due at `now` into `due`; returns the earliest deadline left. Called with `mutex`
    /// held. A linear scan: the engine has a timer per lane and a few more.
    private func takeDueTimers(into due: inout [@Sendable () -> Void], now: UInt64) -> UInt64? {
        var earliest: UInt64?
        var fired: [UInt64] = []
        for (id, timer) in timers {
            if timer.deadline <= now {
                due.append(timer.action)
                fired.append(id)
            } else if earliest.map({ timer.deadline < $0 }) ?? true {
                earliest = timer.deadline
            }
        }
        for id in fired { timers.removeValue(forKey: id) }
        return earliest
    }

    private static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
