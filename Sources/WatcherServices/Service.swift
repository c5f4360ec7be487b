import WatcherSync

/// A long-running part of the daemon: it works in ``run()`` until asked to ``stop()``, then finishes what it has in
/// hand and returns. ``run()`` returning or throwing on its own stops the whole ``ServiceGroup``.
package protocol Service: Sendable {
    /// Does the service's work; returns after ``stop()`` once what was in hand is done, throws on a fatal failure.
    func run() async throws
    /// Asks ``run()`` to finish. Called once, possibly before ``run()`` has started.
    func stop() async
}

/// A service whose ``run()`` waits until ``trigger()`` (or ``stop()``) is called, once or before: the way to stop
/// a group from outside, e.g. on a signal.
package final class StopTrigger: Service {
    private struct State {
        var triggered = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Locked(State())

    package init() {}

    /// Makes ``run()`` return, now or as soon as it starts.
    package func trigger() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.triggered = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// True once ``trigger()`` or ``stop()`` was called.
    package var isTriggered: Bool { state.withLock { $0.triggered } }

    package func run() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.triggered { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    package func stop() async { trigger() }
}

/// A loop written as a task that ends when cancelled (a `Task.sleep` loop), as a service: ``stop()`` cancels it; an
/// error it throws is the service's fatal failure.
package final class CancellableService: Service {
    private struct State {
        var task: Task<Void, any Error>?
        var stopped = false
    }

    private let body: @Sendable () async throws -> Void
    private let state = Locked(State())

    /// A service running `body`, which must return soon after its task is cancelled.
    package init(_ body: @escaping @Sendable () async throws -> Void) {
        self.body = body
    }

    package func run() async throws {
        let task = Task { try await body() }
        let stopped = state.withLock { state -> Bool in
            state.task = task
            return state.stopped
        }
        if stopped { task.cancel() }
        // The task is this call's own: it ends before run() returns.
        try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    }

    package func stop() async {
        let task = state.withLock { state -> Task<Void, any Error>? in
            state.stopped = true
            return state.task
        }
        task?.cancel()
    }
}
