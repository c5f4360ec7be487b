import Foundation
import Testing
import WatcherSync

@Suite("Locked")
struct LockedTests {
    private struct Refused: Error {}

    @Test("increments from many threads at once are all counted")
    func concurrentIncrements() {
        let counter = Locked(0)
        let threads = 8
        let incrementsPerThread = 2_000
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            for _ in 0..<incrementsPerThread { counter.withLock { $0 += 1 } }
        }
        #expect(counter.withLock { $0 } == threads * incrementsPerThread)
    }

    @Test("a read-modify-write inside the lock is never interleaved with another")
    func compoundUpdatesStayConsistent() {
        // Two fields that must always agree; a torn update would leave them different.
        struct Pair { var left = 0, right = 0 }
        let pair = Locked(Pair())
        let mismatches = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for _ in 0..<1_000 {
                if worker.isMultiple(of: 2) {
                    pair.withLock { value in
                        value.left += 1
                        value.right += 1
                    }
                } else {
                    let agree = pair.withLock { $0.left == $0.right }
                    if !agree { mismatches.withLock { $0 += 1 } }
                }
            }
        }
        #expect(mismatches.withLock { $0 } == 0)
        #expect(pair.withLock { $0.left } == 2_000)
    }

    @Test("an error thrown inside the lock reaches the caller and releases the lock")
    func throwingBodyReleasesTheLock() {
        let value = Locked([1, 2, 3])
        #expect(throws: Refused.self) {
            try value.withLock { (numbers: inout [Int]) throws(Refused) in
                numbers.append(4)
                throw Refused()
            }
        }
        // The change made before the throw stays, and the lock is free again.
        #expect(value.withLock { $0 } == [1, 2, 3, 4])
    }

    @Test("the value is released with the lock")
    func valueIsReleasedWithTheLock() {
        final class Tracked: Sendable {}
        weak var observed: Tracked?
        do {
            let tracked = Tracked()
            observed = tracked
            let lock = Locked(Optional(tracked))
            #expect(lock.withLock { $0 } != nil)
        }
        #expect(observed == nil)
    }
}
