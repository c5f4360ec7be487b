import Foundation
import WatcherStore

/// The rows a lane may poll next, in the order it polls them, and the rule that picks the next one. Pure: the lane
/// and the scheduling simulator both call it, so the simulator's choices are the daemon's.
///
/// The order is `next_poll_at`; a row never polled is due ``Intake/firstPollPriority`` seconds before its first
/// sight, so it comes before every re-poll. Of the rows due, the first in that order is polled, except that a row
/// placed with a yield (``Placement/yielding``) goes after every due row that fell due less than its yield after it.
/// The queue holds at most `capacity` rows (the lane's window of the database); `isComplete` says whether it holds
/// every row the lane has.
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
    /// The yields of the rows placed with one, by row id (the database keeps only due times).
    private var yields: [Int64: Double] = [:]

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
        if !yields.isEmpty {
            let held = Set(rows.map(\.rowID)).union(inFlight)
            yields = yields.filter { held.contains($0.key) }
        }
    }

    /// Puts a row back at its place in due order (after an answer), giving way by `yielding` seconds once due; a
    /// row that falls past the end of an incomplete window stays in the database only.
    package mutating func insert(_ row: QueuedRow, yielding: Double = 0) {
        let due = row.nextPollAt ?? 0
        let index = rows.firstIndex { ($0.nextPollAt ?? 0) > due } ?? rows.endIndex
        if index == rows.endIndex, !isComplete { return }
        rows.insert(row, at: index)
        yields[row.rowID] = yielding > 0 ? yielding : nil
        if rows.count > capacity {
            yields[rows.removeLast().rowID] = nil
            isComplete = false
        }
    }

    /// Takes the row at `index` out (it is being polled or expired).
    package mutating func remove(at index: Int) -> QueuedRow {
        let row = rows.remove(at: index)
        yields[row.rowID] = nil
        return row
    }

    /// The next thing to do at wall-clock time `now`: the first row in due order once it is due, unless it yields
    /// to a due row after it.
    package func choose(now: Double, deadline: Double) -> Choice {
        guard let first = rows.first else { return .wait(until: nil) }
        if Expiry.isDue(first, now: now, deadline: deadline) { return .expire(index: 0) }
        guard (first.nextPollAt ?? 0) <= now else { return .wait(until: first.nextPollAt ?? 0) }
        var chosen = 0
        if !yields.isEmpty {
            var earliest = Double.infinity
            for (index, row) in rows.enumerated() {
                let due = row.nextPollAt ?? 0
                // Rows are in due order: none after this one can go before the chosen row.
                guard due <= now, due < earliest else { break }
                let turn = due + (yields[row.rowID] ?? 0)
                if turn < earliest { (chosen, earliest) = (index, turn) }
            }
        }
        let row = rows[chosen]
        return .poll(index: chosen, lateness: row.pollCount > 0 ? now - (row.nextPollAt ?? 0) : 0)
    }
}
