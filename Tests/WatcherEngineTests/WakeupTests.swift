import Testing
import WatcherSync
import WatcherTestSupport

@testable import WatcherEngine

/// Each timed case runs twice: with a clock whose waits sleep in a timer task, and with one that calls back (the
/// daemon's engine thread).
@Suite("Wakeup")
struct WakeupTests {
    /// Starts a wait and records when it returned.
    private func startWait(_ wakeup: Wakeup, until deadline: Double?, clock: ManualClock, done: Locked<Bool>)
        -> Task<Void, Never>
    {
        Task {
            await wakeup.wait(until: deadline, clock: clock)
            done.withLock { $0 = true }
        }
    }

    /// Yields until `condition` holds: the waits run on other tasks.
    private func eventually(_ condition: () -> Bool) async {
        while !condition() { await Task.yield() }
    }

    @Test("a signal sent while nobody waits makes the next wait return at once")
    func pendingSignal() async {
        let wakeup = Wakeup()
        wakeup.signal()
        await wakeup.wait(until: nil, clock: ManualClock())
    }

    @Test("a wait returns at its deadline", arguments: [false, true])
    func deadline(callbacks: Bool) async {
        let clock = ManualClock(timerCallbacks: callbacks)
        let wakeup = Wakeup()
        let done = Locked(false)
        let wait = startWait(wakeup, until: 5, clock: clock, done: done)
        await eventually { clock.sleeperCount == 1 }
        clock.advance(by: 5)
        await wait.value
        #expect(done.withLock { $0 })
    }

    @Test(
        "a wait after one a signal ended returns at its own later deadline, not at the first one's",
        arguments: [false, true])
    func laterDeadlineAfterSignal(callbacks: Bool) async {
        let clock = ManualClock(timerCallbacks: callbacks)
        let wakeup = Wakeup()
        let first = Locked(false)
        let firstWait = startWait(wakeup, until: 10, clock: clock, done: first)
        await eventually { clock.sleeperCount == 1 }
        wakeup.signal()
        await firstWait.value

        let second = Locked(false)
        let secondWait = startWait(wakeup, until: 20, clock: clock, done: second)
        // The first wait's timer serves the second: still one sleeper.
        await eventually { wakeup.isWaiting }
        #expect(clock.sleeperCount == 1)
        #expect(wakeup.timerDeadline == 10)
        clock.advance(by: 10)
        // The timer sleeps on to the second wait's deadline instead of waking it early.
        await eventually { wakeup.timerDeadline == 20 }
        #expect(!second.withLock { $0 })
        clock.advance(by: 10)
        await secondWait.value
        #expect(second.withLock { $0 })
    }

    @Test(
        "a wait with an earlier deadline than the running timer returns at its own deadline", arguments: [false, true])
    func earlierDeadlineAfterSignal(callbacks: Bool) async {
        let clock = ManualClock(timerCallbacks: callbacks)
        let wakeup = Wakeup()
        let first = Locked(false)
        let firstWait = startWait(wakeup, until: 20, clock: clock, done: first)
        await eventually { clock.sleeperCount == 1 }
        wakeup.signal()
        await firstWait.value

        let second = Locked(false)
        let secondWait = startWait(wakeup, until: 5, clock: clock, done: second)
        // The later timer is replaced by one for the earlier deadline.
        await eventually { wakeup.isWaiting }
        #expect(wakeup.timerDeadline == 5)
        clock.advance(by: 5)
        await secondWait.value
        #expect(second.withLock { $0 })
    }

    @Test("a timer left running does not wake a later wait for a signal only", arguments: [false, true])
    func signalOnlyWaitIgnoresTimer(callbacks: Bool) async {
        let clock = ManualClock(timerCallbacks: callbacks)
        let wakeup = Wakeup()
        let first = Locked(false)
        let firstWait = startWait(wakeup, until: 5, clock: clock, done: first)
        await eventually { clock.sleeperCount == 1 }
        wakeup.signal()
        await firstWait.value

        let second = Locked(false)
        let secondWait = startWait(wakeup, until: nil, clock: clock, done: second)
        await eventually { wakeup.isWaiting }
        clock.advance(by: 5)
        await eventually { wakeup.timerDeadline == nil }
        #expect(!second.withLock { $0 })
        wakeup.signal()
        await secondWait.value
        #expect(second.withLock { $0 })
    }
}
