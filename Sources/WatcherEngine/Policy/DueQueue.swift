import Foundation
import WatcherStore

/// The rows a lane may poll next, in the order it polls them, and the rule that picks the next one. Pure: the lane
/// and the scheduling simulator both call it, so the simulator's choices are the daemon's.
///
/// The order is `next_poll_at`; a row never polled is due ``Intake/firstPollPriority`` seconds before its first
/// sight, so it comes before every re-poll. The queue holds at most `capacity` rows (the lane's window of the
/// database); `isComplete` says whether it holds every row the lane has.
package struct DueQueue: Sendable {
    /// What to do next.
    package enum Choice: Sendable, Equatable {
        /// The row at `index` outlived the deadline: end its watch.
        case expire(index: Int)
        /// Poll the row at `index` now; `lateness` is how long after its due time (0 for a first poll).
        case poll(index: Int, lateness: Double)
        /// Nothing is due before this wall-clock time (nil: the queue is empty).
        case wait(until: Double?)
    }

    /// The rows, in due order.
    package private(set) var rows: [QueuedRow] = []
    /// Whether ``rows`` holds every row of the lane (false: more wait in the database).
    package private(set) var isComplete = false
    /// The most rows held.
    package let capacity: Int

    /// An empty queue of at most `capacity` rows; `isComplete` when the lane has no rows elsewhere (a simulation)
    /// rather than until the first read of the database says so.
    package init(capacity: Int, isComplete: Bool = false) {
        self.capacity = capacity
        self.isComplete = isComplete
    }

    /// Replaces the rows with the first of the lane's rows in due order, as read from the database with a limit of
    /// `limit`, leaving out those in flight.
    package mutating func replace(with fetched: [QueuedRow], limit: Int, inFlight: Set<Int64>) {
        rows = Array(fetched.filter { !inFlight.contains($0.rowID) }.prefix(capacity))
        isComplete = fetched.count < limit
    }

    /// Puts a row back at its place in due order (after an answer); a row that falls past the end of an incomplete
    /// window stays in the database only.
    package mutating func insert(_ row: QueuedRow) {
        let due = row.nextPollAt ?? 0
        let index = rows.firstIndex { ($0.nextPollAt ?? 0) > due } ?? rows.endIndex
        if index == rows.endIndex, !isComplete { return }
        rows.insert(row, at: index)
        if rows.count > capacity {
            rows.removeLast()
            isComplete = false
        }
    }

    /// Takes the row at `index` out (it is being polled or expired).
    package mutating func remove(at index: Int) -> QueuedRow {
        rows.remove(at: index)
    }

    /// The next thing to do at wall-clock time `now`: the first row in due order, once it is due.
    package func choose(now: Double, deadline: Double) -> Choice {
        guard let first = rows.first else { return .wait(until: nil) }
        if Expiry.isDue(first, now: now, deadline: deadline) { return .expire(index: 0) }
        let due = first.nextPollAt ?? 0
        guard due <= now else { return .wait(until: due) }
        return .poll(index: 0, lateness: first.pollCount > 0 ? now - due : 0)
    }
}
