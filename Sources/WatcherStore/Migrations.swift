import WatcherSQLite

/// One step of the schema's history. `PRAGMA user_version` records how many steps a database has taken.
package struct Migration: Sendable {
    /// The version the database has after this step (1, 2, …).
    package var version: Int
    /// What the step does, for logs.
    package var summary: String
    /// The SQL, run inside one transaction with the version bump.
    package var sql: String
    /// False for SQL that cannot run in a transaction (`VACUUM`): it must then be safe to run again, because a
    /// crash between it and the version bump repeats it.
    package var runsInTransaction = true
}

/// The schema, as an ordered list of migrations. A new resource kind adds one migration at the end.
package enum Schema {
    /// Every migration, oldest first.
    package static let migrations: [Migration] = [
        Migration(version: 1, summary: "image generation tasks, state transitions, activity", sql: imageTasksV1),
        Migration(version: 2, summary: "product coupons", sql: productCouponsV2),
        Migration(version: 3, summary: "oldest unfinished row per merchant", sql: oldestUnfinishedV3),
        Retention.incrementalVacuumMigration,
    ]

    /// The version a fully migrated database has.
    package static var currentVersion: Int { migrations.last?.version ?? 0 }

    /// The bookkeeping columns every watched table carries besides its contract columns. They belong to the daemon;
    /// producers insert only the identifying columns and leave these to their defaults.
    ///
    /// - `next_poll_at`: unix seconds of the next poll; NULL = not yet looked at.
    /// - `poll_count`: answered polls so far. `last_polled_at`: unix seconds of the last one.
    /// - `first_seen_at`: unix seconds when the daemon first saw the row.
    /// - `failure_count`: consecutive failed polls, for back-off.
    /// - `not_found_since`: the first 404 of the current run of 404s.
    static let bookkeepingColumns = """
          next_poll_at REAL,
          poll_count INTEGER NOT NULL DEFAULT 0,
          last_polled_at REAL,
          first_seen_at REAL,
          failure_count INTEGER NOT NULL DEFAULT 0,
          not_found_since REAL
        """

    /// Indexes for what the scheduler asks: due rows per merchant, new rows, rows past their deadline.
    static func queueIndexes(table: String, activeStates: [String]) -> String {
        let active = activeStates.map { "'\($0)'" }.joined(separator: ", ")
        return """
            CREATE INDEX \(table)_due ON \(table) (merchant_id, next_poll_at) WHERE state IN (\(active));
            CREATE INDEX \(table)_new ON \(table) (merchant_id) WHERE state = 'PENDING' AND next_poll_at IS NULL;
            CREATE INDEX \(table)_deadline ON \(table) (created_at) WHERE state IN (\(active));
            CREATE INDEX \(table)_state ON \(table) (merchant_id, state);
            """
    }

    /// Makes `MIN(created_at)` of a merchant's active rows one index seek, cheap enough to refresh with the counts.
    static func oldestIndex(table: String, activeStates: [String]) -> String {
        let active = activeStates.map { "'\($0)'" }.joined(separator: ", ")
        return "CREATE INDEX \(table)_oldest ON \(table) (merchant_id, created_at) WHERE state IN (\(active));"
    }

    private static let oldestUnfinishedV3 = """
        \(oldestIndex(table: "image_generation_tasks", activeStates: ["PENDING", "PROCESSING"]))
        \(oldestIndex(table: "product_coupons", activeStates: ["PENDING", "AUDITING"]))
        """

    /// The issue's contract columns, then the columns operators query, then the bookkeeping.
    private static let productCouponsV2 = """
        CREATE TABLE product_coupons (
          merchant_id TEXT NOT NULL,
          product_coupon_id TEXT NOT NULL,
          brand_id TEXT NOT NULL,
          state TEXT NOT NULL DEFAULT 'PENDING',
          coupon_json TEXT,
          error TEXT,
          created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
          updated_at TEXT,
          completed_at TEXT,
          coupon_name TEXT,
          coupon_type TEXT,
          coupon_scope TEXT,
          deactivate_time TEXT,
          deactivate_reason TEXT,
        \(bookkeepingColumns),
          PRIMARY KEY (merchant_id, product_coupon_id)
        );
        \(queueIndexes(table: "product_coupons", activeStates: ["PENDING", "AUDITING"]))
        """

    private static let imageTasksV1 = """
        CREATE TABLE image_generation_tasks (
          merchant_id TEXT NOT NULL,
          task_id TEXT NOT NULL,
          brand_id TEXT NOT NULL,
          image_generation_type TEXT NOT NULL,
          state TEXT NOT NULL DEFAULT 'PENDING',
          image_url TEXT,
          error TEXT,
          created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
          updated_at TEXT,
          completed_at TEXT,
        \(bookkeepingColumns),
          PRIMARY KEY (merchant_id, task_id)
        );
        \(queueIndexes(table: "image_generation_tasks", activeStates: ["PENDING", "PROCESSING"]))
        CREATE TABLE state_transitions (
          id INTEGER PRIMARY KEY,
          resource TEXT NOT NULL,
          merchant_id TEXT NOT NULL,
          resource_id TEXT NOT NULL,
          from_state TEXT NOT NULL,
          to_state TEXT NOT NULL,
          at TEXT NOT NULL,
          detail TEXT
        );
        CREATE INDEX state_transitions_resource ON state_transitions (resource, merchant_id, resource_id);
        \(ActivityTables.createSQL)
        """
}

/// Why the schema could not be brought up to date.
package struct MigrationError: Error, Sendable, CustomStringConvertible {
    /// The database file.
    package var path: String
    /// What went wrong.
    package var problem: String

    /// A human-readable account, for logs and error messages.
    package var description: String { "cannot migrate database \(path): \(problem)" }
}

/// Brings a database to ``Schema/currentVersion``; idempotent.
package enum Migrator {
    /// Applies the missing migrations, each in its own transaction; returns the versions applied.
    @discardableResult
    package static func migrate(_ connection: SQLiteConnection) throws -> [Int] {
        let version = try userVersion(connection)
        guard version <= Schema.currentVersion else {
            throw MigrationError(
                path: connection.path,
                problem: "its schema version \(version) is newer than this program knows (\(Schema.currentVersion)); "
                    + "install the newer wechatpay-watcher that created it"
            )
        }
        var applied: [Int] = []
        for migration in Schema.migrations where migration.version > version {
            do {
                if migration.runsInTransaction {
                    try connection.transaction {
                        try connection.execute(migration.sql)
                        try connection.execute("PRAGMA user_version = \(migration.version)")
                    }
                } else {
                    try connection.execute(migration.sql)
                    try connection.execute("PRAGMA user_version = \(migration.version)")
                }
            } catch {
                throw MigrationError(
                    path: connection.path,
                    problem: "migration \(migration.version) (\(migration.summary)) failed: \(error)"
                )
            }
            applied.append(migration.version)
        }
        return applied
    }

    /// The database's `PRAGMA user_version`.
    package static func userVersion(_ connection: SQLiteConnection) throws -> Int {
        Int(try connection.scalar("PRAGMA user_version").int64Value ?? 0)
    }
}
