import Testing
import WatcherStore

@testable import WatcherEngine

private func row(_ id: Int64, due: Double, lastPolled: Double? = nil, failures: Int = 0) -> QueuedRow {
    QueuedRow(
        rowID: id, merchantID: "1900000001", resourceID: "task_\(id)", brandID: "120344", state: "PROCESSING",
        createdAt: 0, nextPollAt: due, pollCount: lastPolled == nil ? 0 : 1, lastPolledAt: lastPolled,
        failureCount: failures)
}

@Suite("DueQueue: which row the lane polls next")
struct DueQueueTests {
    @Test("rows are kept in due order and the first due one is polled, with how late it is")
    func dueOrder() {
        var queue = DueQueue(capacity: 10, isComplete: true)
        queue.insert(row(1, due: 30, lastPolled: 20))
        queue.insert(row(2, due: 10, lastPolled: 5))
        queue.insert(row(3, due: 20, lastPolled: 15))
        #expect(queue.rows.map(\.rowID) == [2, 3, 1])
        #expect(
            queue.choose(now: 12, deadline: 1e9)
                == .poll(index: 0, lateness: 2))
    }

    @Test("before the first row is due it waits for its due time; an empty queue waits for news")
    func waits() {
        var queue = DueQueue(capacity: 10, isComplete: true)
        queue.insert(row(1, due: 30, lastPolled: 0))
        #expect(queue.choose(now: 12, deadline: 1e9) == .wait(until: 30))
        #expect(
            DueQueue(capacity: 1).choose(now: 0, deadline: 1)
                == .wait(until: nil))
    }

    @Test("a row past the deadline is expired, not polled")
    func expires() {
        var queue = DueQueue(capacity: 10, isComplete: true)
        queue.insert(row(1, due: 5, lastPolled: 1))
        #expect(queue.choose(now: 100, deadline: 50) == .expire(index: 0))
    }

    @Test("a window that does not hold every row drops rows that fall past its end")
    func window() {
        var queue = DueQueue(capacity: 2)
        queue.replace(with: [row(1, due: 1), row(2, due: 2), row(3, due: 3)], limit: 3, inFlight: [2])
        #expect(queue.rows.map(\.rowID) == [1, 3])
        #expect(!queue.isComplete)
        queue.insert(row(4, due: 9))
        #expect(queue.rows.map(\.rowID) == [1, 3])
        queue.insert(row(5, due: 0))
        #expect(queue.rows.map(\.rowID) == [5, 1])
    }

    @Test("a row placed early waits for its due time behind the rows due before it, but takes a token none wants")
    func placedEarly() {
        var queue = DueQueue(capacity: 10, isComplete: true)
        queue.insert(row(1, due: 13, lastPolled: 9), earlyBy: 3)
        queue.insert(row(2, due: 12, lastPolled: 11))
        #expect(queue.rows.map(\.rowID) == [2, 1], "in due order: the early allowance does not move it up")
        #expect(queue.choose(now: 9.5, deadline: 1e9) == .wait(until: 10), "nothing may go before 13 - 3 s")
        #expect(queue.choose(now: 10.5, deadline: 1e9) == .poll(index: 1, lateness: 0), "no row due: it may go")
        #expect(queue.choose(now: 12.5, deadline: 1e9) == .poll(index: 0, lateness: 0.5), "a due row goes first")
    }

    @Test("the early allowance lasts for one placement and survives a refresh of the window, not a read-back")
    func earlyAllowanceLifetime() {
        var queue = DueQueue(capacity: 10, isComplete: true)
        queue.insert(row(1, due: 13, lastPolled: 9), earlyBy: 3)
        queue.replace(with: [row(1, due: 13, lastPolled: 9)], limit: 10, inFlight: [])
        #expect(queue.choose(now: 11, deadline: 1e9) == .poll(index: 0, lateness: 0), "still early after the read")
        let polled = queue.remove(at: 0)
        queue.insert(polled)
        #expect(queue.choose(now: 11, deadline: 1e9) == .wait(until: 13), "placed again without an allowance")
    }
}
