import Foundation

extension SystemdNotifier {
    /// Runs `work`, a long blocking step of start-up (the one-time rewrite of a large database), while a thread of
    /// its own sends `EXTEND_TIMEOUT_USEC` with `status` every `interval`: systemd then waits for the step beyond
    /// `TimeoutStartSec=` (90 s by default) instead of killing it and starting it again from the beginning, for
    /// ever. The thread, not `work`, sends, so the messages keep coming while `work` holds its thread.
    package func extendingStartTimeout<Value, Failure: Error>(
        status: String, every interval: Duration = .seconds(10), _ work: () throws(Failure) -> Value
    ) throws(Failure) -> Value {
        // Three intervals: a message that is late or lost is not the end of the start.
        let allowance = (interval * 3).components
        let microseconds = allowance.seconds * 1_000_000 + allowance.attoseconds / 1_000_000_000_000
        let message = "EXTEND_TIMEOUT_USEC=\(microseconds)\nSTATUS=" + Self.oneLine(status)
        let finished = DispatchSemaphore(value: 0)
        let milliseconds = Int(interval / .milliseconds(1))
        Thread.detachNewThread { [self] in
            repeat { send(message) } while finished.wait(timeout: .now() + .milliseconds(milliseconds)) == .timedOut
        }
        defer { finished.signal() }
        return try work()
    }
}
