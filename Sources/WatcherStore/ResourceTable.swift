/// Where one resource kind lives in the database: the table and the columns the generic queue code reads and
/// writes, declared by the kind that owns the table. Every watched table has the same shape around these names:
/// `merchant_id`, the id column, `brand_id`, the parameter columns, `state`, `error`, the result columns, the
/// timestamps and ``Schema/bookkeepingColumns``.
package struct ResourceTable: Sendable, Hashable {
    /// The name written to `state_transitions.resource`, e.g. `image_generation_task`.
    package var resource: String
    /// The table, e.g. `image_generation_tasks`.
    package var table: String
    /// The column holding WeChat Pay's id of the resource, e.g. `task_id`.
    package var idColumn: String
    /// Further columns a producer fills that the request needs, e.g. `image_generation_type`.
    package var parameterColumns: [String]
    /// Columns the daemon fills from verified answers, e.g. `image_url`.
    package var resultColumns: [String]
    /// States that are still being watched; every other state is final and never polled again.
    package var activeStates: [String]
    /// The indexes the store's queries name.
    package var indexes: QueueIndexes

    /// Creates a table description.
    package init(
        resource: String,
        table: String,
        idColumn: String,
        parameterColumns: [String],
        resultColumns: [String],
        activeStates: [String],
        indexes: QueueIndexes
    ) {
        self.resource = resource
        self.table = table
        self.idColumn = idColumn
        self.parameterColumns = parameterColumns
        self.resultColumns = resultColumns
        self.activeStates = activeStates
        self.indexes = indexes
    }

    /// `'PENDING', 'PROCESSING'`: the active states as an SQL list (they are constants, never user input).
    var activeStateList: String { QueueIndexes.sqlList(activeStates) }
}

/// A row whose `state` is none the daemon knows, so it is neither watched nor final: a producer's `pending` for
/// `PENDING`, say.
package struct UnknownStateRow: Sendable, Equatable {
    /// SQLite's rowid.
    package var rowID: Int64
    /// The merchant (`merchant_id`).
    package var merchantID: String
    /// WeChat Pay's id of the resource (the table's id column).
    package var resourceID: String
    /// The state as stored; a value that is not text as SQL's `quote()` writes it.
    package var state: String
}

/// A watched row as the engine sees it: identity, inputs and polling history.
package struct QueuedRow: Sendable, Equatable {
    /// SQLite's rowid, the handle for updates.
    package var rowID: Int64
    /// The merchant (`merchant_id`).
    package var merchantID: String
    /// WeChat Pay's id of the resource (the table's id column).
    package var resourceID: String
    /// The brand (`brand_id`).
    package var brandID: String
    /// Values of the table's parameter columns; a NULL column is absent.
    package var parameters: [String: String]
    /// The current state.
    package var state: String
    /// `created_at` as unix seconds; nil when a producer wrote something that is not a timestamp.
    package var createdAt: Double?
    /// Unix seconds when the daemon first saw the row.
    package var firstSeenAt: Double?
    /// Unix seconds of the next poll; nil for a row not yet looked at.
    package var nextPollAt: Double?
    /// Answered polls so far.
    package var pollCount: Int
    /// Unix seconds of the last answered poll.
    package var lastPolledAt: Double?
    /// Consecutive failed polls.
    package var failureCount: Int
    /// Unix seconds of the first 404 in the current run of 404s.
    package var notFoundSince: Double?
    /// Why an identifying column cannot be read back as the text it holds (a BLOB, bytes that are not UTF-8), so
    /// no update could find the row by it; nil for every row a producer wrote as text.
    package var unreadable: String?

    /// Creates a row value (tests and the engine build these; the store reads them).
    package init(
        rowID: Int64,
        merchantID: String,
        resourceID: String,
        brandID: String,
        parameters: [String: String] = [:],
        state: String,
        createdAt: Double? = nil,
        firstSeenAt: Double? = nil,
        nextPollAt: Double? = nil,
        pollCount: Int = 0,
        lastPolledAt: Double? = nil,
        failureCount: Int = 0,
        notFoundSince: Double? = nil
    ) {
        self.rowID = rowID
        self.merchantID = merchantID
        self.resourceID = resourceID
        self.brandID = brandID
        self.parameters = parameters
        self.state = state
        self.createdAt = createdAt
        self.firstSeenAt = firstSeenAt
        self.nextPollAt = nextPollAt
        self.pollCount = pollCount
        self.lastPolledAt = lastPolledAt
        self.failureCount = failureCount
        self.notFoundSince = notFoundSince
    }

    /// When the row's clock started: its creation time, or when the daemon first saw it. A creation time more than
    /// ``futureCreationTolerance`` after the first sight is a wrong clock or format (a row cannot be seen before it
    /// was created): it would put the deadline off for as long, so the first sight counts instead.
    package var startedAt: Double? {
        guard let createdAt else { return firstSeenAt }
        if let firstSeenAt, createdAt > firstSeenAt + Self.futureCreationTolerance { return firstSeenAt }
        return createdAt
    }

    /// How far a producer's clock may run ahead of the daemon's before its `created_at` is not believed, in seconds.
    package static let futureCreationTolerance = 300.0
}
