import Foundation
import Synchronization
import Testing

@testable import WatcherCLI

@Suite("Signals that arrive before their handlers exist")
struct EarlySignalTests {
    /// Counts calls of a handler.
    final class Calls: Sendable {
        private let count = Atomic<Int>(0)
        func record() { count.add(1, ordering: .sequentiallyConsistent) }
        var value: Int { count.load(ordering: .sequentiallyConsistent) }
    }

    /// Waits up to `seconds` for `condition`.
    static func eventually(within seconds: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(2_000)
        }
        return condition()
    }

    @Test(
        "a recorded signal raised before the handler exists reaches it once the handler is installed, and later ones too"
    )
    func recordedSignalReachesTheHandler() {
        // SIGUSR1 and SIGUSR2 stand in for SIGTERM and SIGHUP, whose default action would end the test process;
        // sent to the process, as systemd and kill(1) do (Dispatch reads signals sent to the process).
        SignalHandlers.recordFromStart([SIGUSR1])
        kill(getpid(), SIGUSR1)
        let early = Calls()
        let untouched = Calls()

        let handlers = SignalHandlers([
            (SIGUSR1, { @Sendable in early.record() }), (SIGUSR2, { @Sendable in untouched.record() }),
        ])
        defer { handlers.cancel() }

        #expect(Self.eventually { early.value == 1 })
        kill(getpid(), SIGUSR1)
        #expect(Self.eventually { early.value == 2 })
        usleep(50_000)
        #expect(early.value == 2)
        #expect(untouched.value == 0)
    }
}
