import Foundation
import WatcherStore

/// The rows a lane may poll next, in the order it polls them, and the rule that picks the next one. Pure: the lane
/// and the scheduling simulator both call it, so the simulator's choices are the daemon's.
///
/// The order is `next_poll_at`; a row never polled is due ``Intake/firstPollPriority`` seconds before its first
/// sight, so it comes before every re-poll, unless its scheduler placed it later. The first row in that order is polled once it is due; while none is due,
/// a row placed early (``Placement/earlyBy``) may be polled from that much before its due time. The database keeps
/// the order; the early allowance lives only here, so a row read back from the database waits for its due time.
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
    /// How long before its due time each row placed early may be polled, by row id.
    private var early: [Int64: Double] = [:]

    /// The rows a lane holds for a budget of `rate` requests a second: two seconds' worth, at least 32.
    package static func window(rate: Int) -> Int { max(32, rate * 2) }

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
        if !early.isEmpty {
            let held = Set(rows.map(\.rowID))
            early = early.filter { held.contains($0.key) }
        }
    }

    /// Puts a row back at its place in due order (after an answer), to be polled up to `earlyBy` seconds before its
    /// due time when no row is due; a row that falls past the end of an incomplete window stays in the database only.
    package mutating func insert(_ row: QueuedRow, earlyBy: Double = 0) {
        let due = row.nextPollAt ?? 0
        let index = rows.firstIndex { ($0.nextPollAt ?? 0) > due } ?? rows.endIndex
        if index == rows.endIndex, !isComplete { return }
        rows.insert(row, at: index)
        early[row.rowID] = earlyBy > 0 ? earlyBy : nil
        if rows.count > capacity {
            early[rows.removeLast().rowID] = nil
            isComplete = false
        }
    }

    /// Takes the row at `index` out (it is being polled or expired).
    package mutating func remove(at index: Int) -> QueuedRow {
        let row = rows.remove(at: index)
        early[row.rowID] = nil
        return row
    }

    /// The next thing to do at wall-clock time `now`: the first row in due order once it is due; until then the
    /// first row placed early whose allowance has begun.
    package func choose(now: Double, deadline: Double) -> Choice {
        guard let first = rows.first else { return .wait(until: nil) }
        if Expiry.isDue(first, now: now, deadline: deadline) { return .expire(index: 0) }
        let due = first.nextPollAt ?? 0
        if due <= now { return .poll(index: 0, lateness: first.pollCount > 0 ? now - due : 0) }
        var wake = due
        for (index, row) in rows.enumerated() {
            guard let allowance = early[row.rowID] else { continue }
            let from = (row.nextPollAt ?? 0) - allowance
            if from <= now { return .poll(index: index, lateness: 0) }
            wake = min(wake, from)
        }
        return .wait(until: wake)
    }
}
