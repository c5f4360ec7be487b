import Foundation
import WatcherLog
import WatcherSQLite

/// A change to one watched row, written atomically with its `state_transitions` row.
///
/// The update applies only if the row is still in `expectedState` and still carries the `first_seen_at` it was read
/// with (a producer may have reset or deleted it while the poll was in flight, and a row inserted after a delete can
/// reuse the deleted row's rowid); otherwise it is dropped and reported as not applied.
package struct RowUpdate: Sendable {
    /// How a nullable column changes.
    package enum Change<Value: Sendable>: Sendable {
        /// Leave the column as it is.
        case keep
        /// Set it to this value.
        case set(Value)
        /// Set it to NULL.
        case clear
    }

    /// The table of the row.
    package var table: ResourceTable
    /// The row's rowid.
    package var rowID: Int64
    /// The merchant, for the transition row and the guard.
    package var merchantID: String
    /// The resource id, for the transition row and the guard.
    package var resourceID: String
    /// The state the row must still be in for the update to apply.
    package var expectedState: String
    /// The `first_seen_at` the row must still have for the update to apply (nil: still NULL, a row intake has not
    /// admitted yet): a row inserted in place of a deleted one has NULL there, so an answer for the old one misses it.
    package var expectedFirstSeenAt: Double?
    /// The new state, or nil to keep it. A different state writes one transition row.
    package var newState: String?
    /// Whether the new state ends the watch (sets `completed_at` and clears `next_poll_at`).
    package var isTerminal: Bool
    /// Result columns to set, e.g. `image_url`; each must be one of the table's result columns.
    package var results: [String: SQLiteValue]
    /// The `error` column.
    package var error: Change<String>
    /// The next poll time, unix seconds.
    package var nextPollAt: Change<Double>
    /// True when this update records an answered poll (`poll_count` + 1, `last_polled_at`).
    package var countsAsPoll: Bool
    /// The new consecutive-failure count, or nil to keep it.
    package var failureCount: Int?
    /// The `not_found_since` column.
    package var notFoundSince: Change<Double>
    /// Set `first_seen_at` (intake admits the row, and a watch starts).
    package var firstSeenAt: Double?
    /// When this happened (wall clock): `updated_at`, `completed_at`, the transition's `at`.
    package var at: Date
    /// Free text for the transition's `detail` column.
    package var transitionDetail: String?
    /// The row is found by its rowid and state alone: its merchant or id column holds something no text
    /// compares equal to (``QueuedRow/unreadable``).
    package var matchesRowIDOnly: Bool

    /// Creates an update that changes nothing yet; set the fields that change.
    package init(row: QueuedRow, table: ResourceTable, at: Date) {
        self.table = table
        self.rowID = row.rowID
        self.merchantID = row.merchantID
        self.resourceID = row.resourceID
        self.expectedState = row.state
        self.expectedFirstSeenAt = row.firstSeenAt
        self.newState = nil
        self.isTerminal = false
        self.results = [:]
        self.error = .keep
        self.nextPollAt = .keep
        self.countsAsPoll = false
        self.failureCount = nil
        self.notFoundSince = .keep
        self.firstSeenAt = nil
        self.at = at
        self.transitionDetail = nil
        self.matchesRowIDOnly = row.unreadable != nil
    }

    /// True when the update moves the row to another state.
    package var changesState: Bool {
        guard let newState else { return false }
        return newState != expectedState
    }
}

/// A state change that was committed, for logs and metrics.
package struct CommittedTransition: Sendable, Equatable {
    /// `state_transitions.resource`.
    package var resource: String
    /// The merchant.
    package var merchantID: String
    /// The resource id.
    package var resourceID: String
    /// The state before.
    package var from: String
    /// The state after.
    package var to: String
    /// The transition detail, if any.
    package var detail: String?
}

extension RowUpdate {
    /// One column an update changes.
    package enum Assignment: Sendable, Equatable {
        /// `column = value`.
        case set(String, SQLiteValue)
        /// `column = NULL`.
        case clear(String)
        /// `column = column + 1`.
        case increment(String)
        /// `column = coalesce(column, value)`: set only if still NULL.
        case setIfNull(String, SQLiteValue)
    }

    /// What the update does to the row, column by column: the one statement of the rule, from which both the SQL
    /// the store runs and the row the engine keeps afterwards (``QueuedRow/applying(_:)``) are derived.
    package var assignments: [Assignment] {
        var assignments: [Assignment] = []
        func assign<Value>(_ column: String, _ change: Change<Value>, _ value: (Value) -> SQLiteValue) {
            switch change {
            case .keep: break
            case .set(let newValue): assignments.append(.set(column, value(newValue)))
            case .clear: assignments.append(.clear(column))
            }
        }
        let stamp = SQLiteValue.text(Timestamp.rfc3339(at))
        if let newState { assignments.append(.set("state", .text(newState))) }
        for column in table.resultColumns {
            if let value = results[column] { assignments.append(.set(column, value)) }
        }
        assign("error", error) { .text($0) }
        assign("next_poll_at", isTerminal ? .clear : nextPollAt) { .real($0) }
        if countsAsPoll {
            assignments.append(.increment("poll_count"))
            assignments.append(.set("last_polled_at", .real(at.timeIntervalSince1970)))
        }
        if let failureCount { assignments.append(.set("failure_count", .integer(Int64(failureCount)))) }
        assign("not_found_since", notFoundSince) { .real($0) }
        if let firstSeenAt { assignments.append(.set("first_seen_at", .real(firstSeenAt))) }
        assignments.append(.set("updated_at", stamp))
        if isTerminal { assignments.append(.set("completed_at", stamp)) }
        return assignments
    }
}

extension QueuedRow {
    /// The row as it will be after `update` is committed, or nil when the update ends the watch: its
    /// ``RowUpdate/assignments`` applied to the columns a queued row carries.
    package func applying(_ update: RowUpdate) -> QueuedRow? {
        guard !update.isTerminal else { return nil }
        var row = self
        for assignment in update.assignments {
            switch assignment {
            case .set("state", let value): row.state = value.stringValue ?? row.state
            case .set("next_poll_at", let value): row.nextPollAt = value.doubleValue
            case .clear("next_poll_at"): row.nextPollAt = nil
            case .increment("poll_count"): row.pollCount += 1
            case .set("last_polled_at", let value): row.lastPolledAt = value.doubleValue
            case .set("failure_count", let value): row.failureCount = Int(value.int64Value ?? 0)
            case .set("not_found_since", let value): row.notFoundSince = value.doubleValue
            case .clear("not_found_since"): row.notFoundSince = nil
            case .set("first_seen_at", let value): row.firstSeenAt = value.doubleValue
            case .setIfNull("first_seen_at", let value): row.firstSeenAt = row.firstSeenAt ?? value.doubleValue
            default: break  // columns a queued row does not carry (results, error, timestamps)
            }
        }
        return row
    }
}
