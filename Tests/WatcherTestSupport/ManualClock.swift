import Foundation
import WatcherEngine
import WatcherSync

/// A ``WatcherClock`` that moves only when a test calls ``advance(by:)``: every wait, timer and rate-limit window
/// of the engine then runs in simulated time, and nothing sleeps on the wall clock.
///
/// Wall time is `start` plus the monotonic seconds advanced so far, so the two never disagree.
///
/// With `timerCallbacks` it also offers ``WatcherClock/callback(at:_:)``, as the daemon's clock does with its engine
/// thread: the callbacks fire in ``advance(by:)`` and count as sleepers.
package final class ManualClock: WatcherClock {
    private struct Sleeper {
        var deadline: Double
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct Callback {
        var deadline: Double
        var action: @Sendable () -> Void
    }

    private struct State {
        var now: Double = 0
        var sleepers: [UInt64: Sleeper] = [:]
        var callbacks: [UInt64: Callback] = [:]
        var cancelledBeforeSleeping: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    private let start: Date
    private let timerCallbacks: Bool
    private let state = Locked(State())

    /// A clock whose wall time starts at `start` (by default the real time now, so rows a test inserts with
    /// SQLite's `now` are as old as the clock says); with `timerCallbacks`, one that runs timer callbacks.
    package init(start: Date = Date(), timerCallbacks: Bool = false) {
        self.start = start
        self.timerCallbacks = timerCallbacks
    }

    /// Runs `action` once the clock is advanced to `deadline`; nil unless made with `timerCallbacks`.
    package func callback(at deadline: Double, _ action: @escaping @Sendable () -> Void) -> TimerCancellation? {
        guard timerCallbacks else { return nil }
        let id = state.withLock { state in
            state.nextID += 1
            state.callbacks[state.nextID] = Callback(deadline: deadline, action: action)
            return state.nextID
        }
        return TimerCancellation { [state] in _ = state.withLock { $0.callbacks.removeValue(forKey: id) } }
    }

    package func monotonicNow() -> Double { state.withLock { $0.now } }

    package func wallNow() -> Date { start.addingTimeInterval(monotonicNow()) }

    /// Suspends until the clock has been advanced to `deadline`; throws `CancellationError` when cancelled first.
    package func sleep(until deadline: Double) async throws {
        let id = state.withLock { state -> UInt64? in
            guard deadline > state.now else { return nil }
            state.nextID += 1
            return state.nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                switch register(id, deadline: deadline, continuation) {
                case .waiting: break
                case .due: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let sleeper = state.sleepers.removeValue(forKey: id) else {
                    state.cancelledBeforeSleeping.insert(id)
                    return nil
                }
                return sleeper
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    private enum Registration { case waiting, due, cancelled }

    private func register(
        _ id: UInt64, deadline: Double, _ continuation: CheckedContinuation<Void, any Error>
    ) -> Registration {
        state.withLock { state in
            if state.cancelledBeforeSleeping.remove(id) != nil { return .cancelled }
            if deadline <= state.now { return .due }
            state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
            return .waiting
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has come, earliest first, then runs the callbacks
    /// that are due, earliest first.
    package func advance(by seconds: Double) {
        let (due, callbacks) = state.withLock { state -> ([Sleeper], [Callback]) in
            state.now += seconds
            let now = state.now
            let due = state.sleepers.filter { $0.value.deadline <= now }
            for id in due.keys { state.sleepers.removeValue(forKey: id) }
            let callbacks = state.callbacks.filter { $0.value.deadline <= now }
            for id in callbacks.keys { state.callbacks.removeValue(forKey: id) }
            return (
                due.values.sorted { $0.deadline < $1.deadline }, callbacks.values.sorted { $0.deadline < $1.deadline }
            )
        }
        for sleeper in due { sleeper.continuation.resume() }
        for callback in callbacks { callback.action() }
    }

    /// How many tasks (and, with `timerCallbacks`, callbacks) wait on this clock now.
    package var sleeperCount: Int { state.withLock { $0.sleepers.count + $0.callbacks.count } }
}
