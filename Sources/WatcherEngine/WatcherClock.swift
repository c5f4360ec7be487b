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
}

/// The real clocks: `ContinuousClock` for monotonic time, `Date` for wall time.
package struct SystemClock: WatcherClock {
    private let origin = ContinuousClock.now

    /// Creates a clock whose monotonic origin is now.
    package init() {}

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
}
