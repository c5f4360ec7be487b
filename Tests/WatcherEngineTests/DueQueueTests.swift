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

    @Test("a yielding row goes after every due row that fell due less than its yield after it, and no further")
    func yielding() {
        var queue = DueQueue(capacity: 10, isComplete: true)
        queue.insert(row(1, due: 10, lastPolled: 9), yielding: 3)
        queue.insert(row(2, due: 11, lastPolled: 10))
        queue.insert(row(3, due: 14, lastPolled: 13))
        #expect(queue.choose(now: 10.5, deadline: 1e9) == .poll(index: 0, lateness: 0.5), "alone due: it goes")
        #expect(queue.choose(now: 12, deadline: 1e9) == .poll(index: 1, lateness: 1), "row 2 fell due 1 s after it")
        _ = queue.remove(at: 1)
        #expect(
            queue.choose(now: 14.5, deadline: 1e9) == .poll(index: 0, lateness: 4.5),
            "row 3 fell due 4 s after it: more than its 3 s yield")
    }

    @Test("a yield lasts for one placement and survives a refresh of the window")
    func yieldLifetime() {
        var queue = DueQueue(capacity: 10, isComplete: true)
        queue.insert(row(1, due: 10, lastPolled: 9), yielding: 3)
        queue.replace(with: [row(1, due: 10, lastPolled: 9), row(2, due: 11, lastPolled: 10)], limit: 10, inFlight: [])
        #expect(queue.choose(now: 12, deadline: 1e9) == .poll(index: 1, lateness: 1), "still yielding after the read")
        let polled = queue.remove(at: 0)
        queue.insert(polled)
        #expect(queue.choose(now: 12, deadline: 1e9) == .poll(index: 0, lateness: 2), "placed again without a yield")
    }
}
