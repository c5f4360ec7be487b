import WatcherSync

/// Lets one task sleep until a deadline or until someone has news for it, whichever comes first.
///
/// A signal that arrives while nobody waits is remembered, so news is never missed between a check and a wait.
///
/// One timer serves successive waits: a wait that a signal ended leaves its timer running, and the next wait (a
/// lane usually waits again for the same permit) keeps it instead of starting and cancelling one of its own, which
/// at full rate was several tasks and timers per poll. With a clock that has a thread for callbacks the timer is a
/// callback there, not a task.
final class Wakeup: Sendable {
    private struct State {
        var signaled = false
        var waiter: CheckedContinuation<Void, Never>?
        /// Until when the waiter waits; nil while it waits for a signal only (or nobody waits).
        var waiterDeadline: Double?
        /// When the running timer fires; nil when none runs.
        var timerDeadline: Double?
        var timer: Timer?
        /// Tells the running timer from one that was replaced by an earlier one.
        var timerGeneration: UInt64 = 0
    }

    /// A timer task sleeping on the clock, or a callback of a clock that has a thread for them (no task at all).
    private enum Timer {
        case task(Task<Void, Never>)
        case callback(TimerCancellation)

        func cancel() {
            switch self {
            case .task(let task): task.cancel()
            case .callback(let callback): callback.cancel()
            }
        }
    }

    private let state = Locked(State())

    /// True while a task waits (tests look).
    var isWaiting: Bool { state.withLock { $0.waiter != nil } }

    /// When the running timer fires; nil when none runs (tests look).
    var timerDeadline: Double? { state.withLock { $0.timerDeadline } }

    /// Wakes the waiter, or makes the next wait return at once.
    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.signaled = true
                return nil
            }
            state.waiter = nil
            state.waiterDeadline = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns at `deadline` (monotonic seconds), on a signal, or at once if a signal is pending.
    /// A nil deadline waits for a signal only.
    func wait(until deadline: Double?, clock: any WatcherClock) async {
        await withCheckedContinuation { continuation in
            let (resumeNow, replaced) = state.withLock { state -> (Bool, Timer?) in
                if state.signaled {
                    state.signaled = false
                    return (true, nil)
                }
                if let deadline, clock.monotonicNow() >= deadline { return (true, nil) }
                state.waiter = continuation
                state.waiterDeadline = deadline
                // A running timer that fires no later than this deadline will serve this wait too.
                guard let deadline, state.timerDeadline.map({ $0 > deadline }) ?? true else { return (false, nil) }
                let replaced = state.timer
                state.timerGeneration &+= 1
                let generation = state.timerGeneration
                state.timerDeadline = deadline
                state.timer = startTimer(generation, until: deadline, clock: clock)
                return (false, replaced)
            }
            replaced?.cancel()
            if resumeNow { continuation.resume() }
        }
    }

    /// A timer for `deadline`: the clock's callback when it has a thread for them, otherwise a task that sleeps.
    /// Called with the state locked.
    private func startTimer(_ generation: UInt64, until deadline: Double, clock: any WatcherClock) -> Timer {
        let callback = clock.callback(at: deadline) { [self] in
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                let (waiter, later) = timerFired(generation, reached: deadline, state: &state)
                if let later { state.timer = startTimer(generation, until: later, clock: clock) }
                return waiter
            }
            waiter?.resume()
        }
        if let callback { return .callback(callback) }
        return .task(Task { await self.runTimer(generation, until: deadline, clock: clock) })
    }

    /// Sleeps until `deadline`, then wakes the waiter whose deadline it reached, or sleeps on to a later deadline
    /// of the wait in progress; ends when cancelled (replaced by an earlier timer) or when nobody needs it.
    private func runTimer(_ generation: UInt64, until deadline: Double, clock: any WatcherClock) async {
        var deadline = deadline
        while true {
            do {
                try await clock.sleep(until: deadline)
            } catch {
                return
            }
            let reached = deadline
            let (waiter, later) = state.withLock { timerFired(generation, reached: reached, state: &$0) }
            waiter?.resume()
            guard let later else { return }
            deadline = later
        }
    }

    /// The timer of `generation` reached `reached`: the waiter to wake, or the later deadline of the wait in
    /// progress to go on to; neither when the timer was replaced or nobody needs it.
    private func timerFired(_ generation: UInt64, reached: Double, state: inout State)
        -> (CheckedContinuation<Void, Never>?, Double?)
    {
        guard state.timerGeneration == generation else { return (nil, nil) }
        if state.waiter != nil, let later = state.waiterDeadline, later > reached {
            state.timerDeadline = later
            return (nil, later)
        }
        state.timerDeadline = nil
        state.timer = nil
        // A waiter without a deadline waits for a signal only.
        guard state.waiterDeadline != nil else { return (nil, nil) }
        let waiter = state.waiter
        state.waiter = nil
        state.waiterDeadline = nil
        return (waiter, nil)
    }
}
