import WatcherSync

/// Lets one task sleep until a deadline or until someone has news for it, whichever comes first.
///
/// A signal that arrives while nobody waits is remembered, so news is never missed between a check and a wait.
final class Wakeup: Sendable {
    private struct State {
        var signaled = false
        var waiter: CheckedContinuation<Void, Never>?
        var generation: UInt64 = 0
    }

    private let state = Locked(State())

    /// Wakes the waiter, or makes the next wait return at once.
    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.signaled = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns at `deadline` (monotonic seconds), on a signal, or at once if a signal is pending.
    /// A nil deadline waits for a signal only.
    func wait(until deadline: Double?, clock: any WatcherClock) async {
        let generation = state.withLock { state -> UInt64? in
            if state.signaled {
                state.signaled = false
                return nil
            }
            state.generation += 1
            return state.generation
        }
        guard let generation else { return }
        let timer = deadline.map { deadline in
            Task {
                try? await clock.sleep(until: deadline)
                self.expire(generation)
            }
        }
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if state.signaled || state.generation != generation {
                    state.signaled = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
        timer?.cancel()
    }

    /// The timer of wait number `generation` fired; a later wait is left alone.
    private func expire(_ generation: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.generation == generation else { return nil }
            state.generation += 1
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }
}
