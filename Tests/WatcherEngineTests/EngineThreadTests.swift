import Foundation
import Testing
import WatcherSync

@testable import WatcherEngine

@Suite("Engine thread")
struct EngineThreadTests {
    /// The thread the calling code runs on.
    private static func currentThread() -> UInt { UInt(bitPattern: Int(pthread_self())) }

    private actor Counter {
        var threads: Set<UInt> = []
        func record() { threads.insert(EngineThreadTests.currentThread()) }
    }

    @Test(
        "tasks that prefer it, their child tasks, default actors they call and resumptions from other threads all run on it"
    )
    func everythingRunsOnTheThread() async {
        let engine = EngineThread(name: "engine-thread-test")
        let counter = Counter()
        let seen = await withTaskExecutorPreference(engine) {
            var threads: Set<UInt> = [Self.currentThread()]
            await counter.record()
            await withDiscardingTaskGroup { group in
                for _ in 0..<4 { group.addTask { await counter.record() } }
            }
            // An answer resumed from a thread of its own, as the transport's I/O threads do.
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                Thread { continuation.resume() }.start()
            }
            threads.insert(Self.currentThread())
            return threads.union(await counter.threads)
        }
        #expect(seen.count == 1)
    }

    @Test("a timer calls back on the thread; a cancelled one never does")
    func timers() async {
        let engine = EngineThread(name: "engine-thread-test")
        let fired = Locked<[String]>([])
        let cancelled = engine.schedule(afterSeconds: 0.01) { fired.withLock { $0.append("cancelled") } }
        #expect(engine.cancelTimer(cancelled))
        let thread = await withCheckedContinuation { (continuation: CheckedContinuation<UInt, Never>) in
            _ = engine.schedule(afterSeconds: 0.03) {
                fired.withLock { $0.append("kept") }
                continuation.resume(returning: Self.currentThread())
            }
        }
        #expect(fired.withLock { $0 } == ["kept"])
        #expect(!engine.cancelTimer(cancelled))
        let jobThread = await withTaskExecutorPreference(engine) { Self.currentThread() }
        #expect(thread == jobThread)
    }

    @Test("a wait on the daemon's clock returns at its deadline, called back by the engine thread")
    func clockCallbacks() async {
        let engine = EngineThread(name: "engine-thread-test")
        let clock = SystemClock(timers: engine)
        let wakeup = Wakeup()
        let deadline = clock.monotonicNow() + 0.02
        await withTaskExecutorPreference(engine) {
            await wakeup.wait(until: deadline, clock: clock)
        }
        #expect(clock.monotonicNow() >= deadline)
    }
}
