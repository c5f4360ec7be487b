/// What one resource kind contributes to the database: its table (with the indexes the queue asks through) and
/// the migration steps that build it. The store applies every kind's steps after its own, in the order the kinds
/// are given, and records in `kind_migrations` how far each kind's table has come.
package struct KindSchema: Sendable {
    /// The table and the columns the generic queue code reads and writes.
    package var table: ResourceTable
    /// The kind's own history, oldest first, numbered 1, 2, … per kind.
    package var migrations: [Migration]

    /// Creates a kind's schema.
    package init(table: ResourceTable, migrations: [Migration]) {
        self.table = table
        self.migrations = migrations
    }

    /// The version a fully migrated table of this kind has.
    package var currentVersion: Int { migrations.last?.version ?? 0 }
}

/// The names of the indexes a kind's table has for what the store asks of every watched table. The kind names
/// them; ``createSQL(table:activeStates:)`` gives their shape, since the store's queries rely on it.
package struct QueueIndexes: Sendable, Hashable {
    /// Active rows of a merchant by `next_poll_at`: the due rows.
    package var due: String
    /// `PENDING` rows never looked at: intake's new rows.
    package var new: String
    /// Active rows by `created_at`: the deadline sweep.
    package var deadline: String
    /// Rows of a merchant by state: the counts of `status`.
    package var byState: String
    /// Active rows of a merchant by `created_at`: the oldest unfinished row, one index seek.
    package var oldest: String

    /// Names the indexes.
    package init(due: String, new: String, deadline: String, byState: String, oldest: String) {
        self.due = due
        self.new = new
        self.deadline = deadline
        self.byState = byState
        self.oldest = oldest
    }

    /// Each index's name and the `CREATE INDEX` that builds it: due, new, deadline, by state, oldest.
    package func statements(table: String, activeStates: [String]) -> [(name: String, sql: String)] {
        let active = Self.sqlList(activeStates)
        return [
            (due, "CREATE INDEX \(due) ON \(table) (merchant_id, next_poll_at) WHERE state IN (\(active));"),
            (new, "CREATE INDEX \(new) ON \(table) (merchant_id) WHERE state = 'PENDING' AND next_poll_at IS NULL;"),
            (deadline, "CREATE INDEX \(deadline) ON \(table) (created_at) WHERE state IN (\(active));"),
            (byState, "CREATE INDEX \(byState) ON \(table) (merchant_id, state);"),
            (oldest, "CREATE INDEX \(oldest) ON \(table) (merchant_id, created_at) WHERE state IN (\(active));"),
        ]
    }

    /// `CREATE INDEX` for the due, new, deadline and by-state indexes of `table`, whose active states are given.
    package func createSQL(table: String, activeStates: [String]) -> String {
        statements(table: table, activeStates: activeStates).prefix(4).map(\.sql).joined(separator: "\n")
    }

    /// `CREATE INDEX` for the oldest-unfinished index (added to the first tables after they shipped).
    package func createOldestSQL(table: String, activeStates: [String]) -> String {
        statements(table: table, activeStates: activeStates)[4].sql
    }

    /// `'PENDING', 'PROCESSING'`: states are constants of the kinds, never user input.
    static func sqlList(_ states: [String]) -> String { states.map { "'\($0)'" }.joined(separator: ", ") }
}

extension Schema {
    /// The bookkeeping columns every watched table carries besides its contract columns, for a kind's
    /// `CREATE TABLE`. They belong to the daemon; producers insert only the identifying columns and leave these to
    /// their defaults.
    ///
    /// - `next_poll_at`: unix seconds of the next poll; NULL = not yet looked at.
    /// - `poll_count`: answered polls so far. `last_polled_at`: unix seconds of the last one.
    /// - `first_seen_at`: unix seconds when the daemon first saw the row.
    /// - `failure_count`: consecutive failed polls, for back-off.
    /// - `not_found_since`: the first 404 of the current run of 404s.
    package static let bookkeepingColumns = """
          next_poll_at REAL,
          poll_count INTEGER NOT NULL DEFAULT 0,
          last_polled_at REAL,
          first_seen_at REAL,
          failure_count INTEGER NOT NULL DEFAULT 0,
          not_found_since REAL
        """
}
