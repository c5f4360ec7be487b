import Glibc
import WatcherSync

/// What the caller's side of one exchange tells the thread doing its I/O: stop now (the task was cancelled or the
/// deadline passed), and which socket to wake for that.
final class ExchangeControl: Sendable {
    private struct State {
        var abandoned: TransportFailure?
        var descriptor: Int32?
        var responseStarted = false
        var stage: String?
    }

    private let state = Locked(State())

    /// Why the exchange was abandoned, or nil while it runs.
    var abandonment: TransportFailure? { state.withLock { $0.abandoned } }

    /// True once any byte of an answer arrived.
    var responseStarted: Bool {
        get { state.withLock { $0.responseStarted } }
        set { state.withLock { $0.responseStarted = newValue } }
    }

    /// What the exchange is doing now, for a timeout's account of it (`connecting to 10.0.0.1:443`).
    var stage: String? {
        get { state.withLock { $0.stage } }
        set { state.withLock { $0.stage = newValue } }
    }

    /// The deadline passed now: the failure that says so.
    var timeout: TransportFailure {
        state.withLock { .timedOut(responseStarted: $0.responseStarted, during: $0.stage) }
    }

    /// The socket the I/O thread waits on now; nil when it waits on none.
    func track(_ descriptor: Int32?) {
        state.withLock { $0.descriptor = descriptor }
    }

    /// Stops the exchange: the I/O thread's wait is woken by `shutdown(2)` and it gives up. False when it had
    /// already been abandoned.
    @discardableResult
    func abandon(because failure: TransportFailure) -> Bool {
        state.withLock { state in
            guard state.abandoned == nil else { return false }
            state.abandoned = failure
            // Inside the lock: the connection stops tracking its descriptor under this lock before closing it, so
            // this number is still that connection's socket and not one the process reused.
            if let descriptor = state.descriptor { _ = shutdown(descriptor, Int32(SHUT_RDWR)) }
            return true
        }
    }
}
