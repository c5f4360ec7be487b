import Foundation
import WatcherPOSIX

/// Time as the engine needs it, injected so tests control it.
///
/// Monotonic seconds drive the rate limiter and every wait (a wall-clock jump must not refill or drain a
/// bucket); wall-clock time is what gets written to the database and compared with `created_at`.
package protocol WatcherClock: Sendable {
    /// Monotonic seconds since an arbitrary origin.
    func monotonicNow() -> Double
    /// Wall-clock now.
    func wallNow() -> Date
    /// Suspends until `monotonicNow() >= deadline`, or throws `CancellationError` when the task is cancelled.
    func sleep(until deadline: Double) async throws
    /// Calls `action` at `deadline` (monotonic seconds) on a thread of the clock's own, without a task, and returns
    /// what cancels it; nil when the clock has no such thread, and the caller sleeps in a task instead.
    func callback(at deadline: Double, _ action: @escaping @Sendable () -> Void) -> TimerCancellation?
}

extension WatcherClock {
    /// No thread of its own: callers sleep in a task.
    package func callback(at deadline: Double, _ action: @escaping @Sendable () -> Void) -> TimerCancellation? {
        nil
    }
}

/// Cancels a timer started by ``WatcherClock/callback(at:_:)``; cancelling one that fired does nothing.
package struct TimerCancellation: Sendable {
    /// Removes the timer.
    package let cancel: @Sendable () -> Void

    /// A cancellation that runs `cancel`.
    package init(cancel: @escaping @Sendable () -> Void) {
        self.cancel = cancel
    }
}

/// The real clocks: `ContinuousClock` for monotonic time, `Date` for wall time; with an ``EngineThread``, its
/// timers for callbacks.
package struct SystemClock: WatcherClock {
    private let origin = ContinuousClock.now
    private let timers: EngineThread?

    /// Creates a clock whose monotonic origin is now; `timers` runs its callbacks (nil: none, waits sleep in tasks).
    package init(timers: EngineThread? = nil) {
        self.timers = timers
    }

    /// Monotonic seconds since this clock was created.
    package func monotonicNow() -> Double {
        (ContinuousClock.now - origin).seconds
    }

    /// The current wall-clock time.
    package func wallNow() -> Date { Date() }

    /// Sleeps until the monotonic deadline, or throws when cancelled.
    package func sleep(until deadline: Double) async throws {
        let remaining = deadline - monotonicNow()
        guard remaining > 0 else { return }
        try await Task.sleep(for: .nanoseconds(Int64(remaining * 1e9)))
    }

    /// Runs `action` on the engine thread at `deadline`; nil without one.
    package func callback(at deadline: Double, _ action: @escaping @Sendable () -> Void) -> TimerCancellation? {
        guard let timers else { return nil }
        let id = timers.schedule(afterSeconds: deadline - monotonicNow(), action)
        return TimerCancellation { timers.cancelTimer(id) }
    }
}
