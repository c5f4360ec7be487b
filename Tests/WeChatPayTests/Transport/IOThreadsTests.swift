import Dispatch
import Testing

@testable import WeChatPay

@Suite("IOThreads")
struct IOThreadsTests {
    /// Runs `job` on `threads` and returns once it has run.
    func runOne(on threads: IOThreads) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            threads.run { continuation.resume() }
        }
    }

    @Test(
        "a job that finds every thread busy gets a new thread; after the burst the extra threads end, although jobs keep coming"
    )
    func burstThenSteady() async throws {
        let threads = IOThreads(idleLifetime: 0.2)
        let gate = DispatchSemaphore(value: 0)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        threads.run {
                            gate.wait()
                            continuation.resume()
                        }
                    }
                }
            }
            while threads.threadCount < 8 { try? await Task.sleep(for: .milliseconds(1)) }
            #expect(threads.threadCount == 8)
            for _ in 0..<8 { gate.signal() }
        }
        // One job at a time needs one thread, two when a job comes before the previous one's thread is back on the
        // idle list: the thread idle last takes each job and the others time out. Handed out round-robin, every job
        // would wake another of the eight and none would ever be idle for 0.2 s.
        let limit = ContinuousClock.now + .seconds(30)
        while threads.threadCount > 2, ContinuousClock.now < limit { await runOne(on: threads) }
        #expect(threads.threadCount <= 2)
    }

    @Test("an idle thread ends after the idle lifetime, and the next job starts a new one")
    func idleThreadEnds() async throws {
        let threads = IOThreads(idleLifetime: 0.05)
        await runOne(on: threads)
        let limit = ContinuousClock.now + .seconds(30)
        while threads.threadCount > 0, ContinuousClock.now < limit { try await Task.sleep(for: .milliseconds(10)) }
        #expect(threads.threadCount == 0)
        await runOne(on: threads)
        #expect(threads.threadCount <= 1)
    }
}
