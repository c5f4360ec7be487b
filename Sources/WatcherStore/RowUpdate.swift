import Foundation
import WatcherSQLite

/// A change to one watched row, written atomically with its `state_transitions` row.
///
/// The update applies only if the row is still in `expectedState` (a producer may have reset or deleted it while
/// the poll was in flight); otherwise it is dropped and reported as not applied.
public struct RowUpdate: Sendable {
    /// How a nullable column changes.
    public enum Change<Value: Sendable>: Sendable {
        /// Leave the column as it is.
        case keep
        /// Set it to this value.
        case set(Value)
        /// Set it to NULL.
        case clear
    }

    /// The table of the row.
    public var table: ResourceTable
    /// The row's rowid.
    public var rowID: Int64
    /// The merchant, for the transition row and the guard.
    public var merchantID: String
    /// The resource id, for the transition row and the guard.
    public var resourceID: String
    /// The state the row must still be in for the update to apply.
    public var expectedState: String
    /// The new state, or nil to keep it. A different state writes one transition row.
    public var newState: String?
    /// Whether the new state ends the watch (sets `completed_at` and clears `next_poll_at`).
    public var isTerminal: Bool
    /// Result columns to set, e.g. `image_url`; each must be one of the table's result columns.
    public var results: [String: SQLiteValue]
    /// The `error` column.
    public var error: Change<String>
    /// The next poll time, unix seconds.
    public var nextPollAt: Change<Double>
    /// True when this update records an answered poll (`poll_count` + 1, `last_polled_at`).
    public var countsAsPoll: Bool
    /// The new consecutive-failure count, or nil to keep it.
    public var failureCount: Int?
    /// The `not_found_since` column.
    public var notFoundSince: Change<Double>
    /// Set `first_seen_at` (intake).
    public var firstSeenAt: Double?
    /// When this happened (wall clock): `updated_at`, `completed_at`, the transition's `at`.
    public var at: Date
    /// Free text for the transition's `detail` column.
    public var transitionDetail: String?

    /// Creates an update that changes nothing yet; set the fields that change.
    public init(row: QueuedRow, table: ResourceTable, at: Date) {
        self.table = table
        self.rowID = row.rowID
        self.merchantID = row.merchantID
        self.resourceID = row.resourceID
        self.expectedState = row.state
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
    }

    /// True when the update moves the row to another state.
    public var changesState: Bool {
        guard let newState else { return false }
        return newState != expectedState
    }
}

/// A state change that was committed, for logs and metrics.
public struct CommittedTransition: Sendable, Equatable {
    /// `state_transitions.resource`.
    public var resource: String
    /// The merchant.
    public var merchantID: String
    /// The resource id.
    public var resourceID: String
    /// The state before.
    public var from: String
    /// The state after.
    public var to: String
    /// The transition detail, if any.
    public var detail: String?
}
