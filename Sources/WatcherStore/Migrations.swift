import WatcherSQLite

/// One step of a schema's history: the store's own (counted by `PRAGMA user_version`) or one kind's (counted in
/// `kind_migrations`).
package struct Migration: Sendable {
    /// The version the schema has after this step (1, 2, …).
    package var version: Int
    /// What the step does, for logs.
    package var summary: String
    /// The SQL, run inside one transaction with the version bump.
    package var sql: String
    /// False for SQL that cannot run in a transaction (`VACUUM`): it must then be safe to run again, because a
    /// crash between it and the version bump repeats it.
    package var runsInTransaction = true
    /// For a kind's step that shipped before kinds kept their own history: the `user_version` of the one shared
    /// list it was part of. A database migrated that far by an older program already has it.
    package var sharedVersion: Int?

    /// Creates a step.
    package init(
        version: Int, summary: String, sql: String, runsInTransaction: Bool = true, sharedVersion: Int? = nil
    ) {
        self.version = version
        self.summary = summary
        self.sql = sql
        self.runsInTransaction = runsInTransaction
        self.sharedVersion = sharedVersion
    }
}

/// The store's own tables, as an ordered list of migrations; `PRAGMA user_version` counts them. Each resource
/// kind's table has a history of its own (``KindSchema``).
///
/// Until version 5 there was one shared list, which also created the first kinds' tables: version 1 the image
/// tasks, 2 the product coupons, 3 their oldest-row indexes. Those steps now belong to their kinds, which say
/// where they shipped (``Migration/sharedVersion``), so a database any release left behind upgrades in place.
package enum Schema {
    /// Every migration of the store's own tables, oldest first (versions 2 and 3 were kinds' steps only).
    package static let migrations: [Migration] = [
        Migration(version: 1, summary: "state transitions, activity", sql: storeV1),
        Retention.incrementalVacuumMigration,
        Migration(
            version: kindMigrationsVersion, summary: "a migration history per resource kind", sql: kindMigrationsV5),
    ]

    /// The version a fully migrated database has.
    package static var currentVersion: Int { migrations.last?.version ?? 0 }

    /// The step that created `kind_migrations`.
    static let kindMigrationsVersion = 5
    /// `kind_migrations` row under which the `user_version` a database had before version 5 is kept.
    static let sharedVersionOwner = "(shared list before version 5)"

    private static let storeV1 = """
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

    /// `IF NOT EXISTS`: a database set back to an older `user_version` (the retention benchmark does) keeps it.
    private static let kindMigrationsV5 = """
        CREATE TABLE IF NOT EXISTS kind_migrations (
          resource TEXT PRIMARY KEY,
          version INTEGER NOT NULL
        ) WITHOUT ROWID;
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

/// A migration step that was applied: the store's own (`owner` is `store`) or a kind's (its resource).
package struct AppliedMigration: Sendable, Equatable, CustomStringConvertible {
    /// `store`, or the resource whose table the step built, e.g. `product_coupon`.
    package var owner: String
    /// The version after the step.
    package var version: Int

    package init(owner: String, version: Int) {
        self.owner = owner
        self.version = version
    }

    package var description: String { "\(owner) \(version)" }
}

/// Brings a database to ``Schema/currentVersion`` and each kind's table to its current version; idempotent.
package enum Migrator {
    /// Applies the missing migrations, each in its own transaction: the store's first, then each kind's, in the
    /// order given. Returns the steps applied.
    @discardableResult
    package static func migrate(_ connection: SQLiteConnection, kinds: [KindSchema]) throws -> [AppliedMigration] {
        let initial = try userVersion(connection)
        guard initial <= Schema.currentVersion else {
            throw MigrationError(
                path: connection.path,
                problem: "its schema version \(initial) is newer than this program knows (\(Schema.currentVersion)); "
                    + "install the newer wechatpay-watcher that created it"
            )
        }
        var applied: [AppliedMigration] = []
        for migration in Schema.migrations where migration.version > initial {
            try apply(migration, owner: "store", on: connection) {
                try connection.execute("PRAGMA user_version = \(migration.version)")
                if migration.version == Schema.kindMigrationsVersion {
                    try connection.run(
                        "INSERT OR IGNORE INTO kind_migrations (resource, version) VALUES (?, ?)",
                        [.text(Schema.sharedVersionOwner), .integer(Int64(initial))])
                }
            }
            applied.append(AppliedMigration(owner: "store", version: migration.version))
        }
        for kind in kinds {
            applied += try migrate(kind, on: connection)
        }
        return applied
    }

    /// Builds again the queue indexes of `kinds` that someone dropped; returns their names. The store's reads name
    /// them (`INDEXED BY`), so without one every read of that table fails, and the history in `kind_migrations`
    /// says the table is complete: no migration would ever bring the index back.
    package static func restoreQueueIndexes(_ connection: SQLiteConnection, kinds: [KindSchema]) throws -> [String] {
        var restored: [String] = []
        for kind in kinds where try tableExists(kind.table.table, on: connection) {
            let table = kind.table
            for (name, sql) in table.indexes.statements(table: table.table, activeStates: table.activeStates) {
                let exists = try connection.scalar(
                    "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = ?", [.text(name)])
                guard exists.int64Value == 0 else { continue }
                do {
                    try connection.execute(sql)
                } catch {
                    throw MigrationError(
                        path: connection.path, problem: "cannot build the missing index \(name) again: \(error)")
                }
                restored.append(name)
            }
        }
        return restored
    }

    private static func tableExists(_ name: String, on connection: SQLiteConnection) throws -> Bool {
        try connection.scalar(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", [.text(name)]
        ).int64Value == 1
    }

    /// One kind's missing steps.
    private static func migrate(_ kind: KindSchema, on connection: SQLiteConnection) throws -> [AppliedMigration] {
        let resource = kind.table.resource
        let (version, isRecorded) = try kindVersion(kind, on: connection)
        if !isRecorded, version > 0 {
            // What an older release's shared list built, written down once so that it no longer has to be inferred.
            try record(resource, version: version, on: connection)
        }
        guard version <= kind.currentVersion else {
            throw MigrationError(
                path: connection.path,
                problem: "table \(kind.table.table) has schema version \(version), newer than this program knows "
                    + "(\(kind.currentVersion)); install the newer wechatpay-watcher that created it"
            )
        }
        var applied: [AppliedMigration] = []
        for migration in kind.migrations where migration.version > version {
            try apply(migration, owner: resource, on: connection) {
                try record(resource, version: migration.version, on: connection)
            }
            applied.append(AppliedMigration(owner: resource, version: migration.version))
        }
        return applied
    }

    private static func record(_ resource: String, version: Int, on connection: SQLiteConnection) throws {
        try connection.run(
            """
            INSERT INTO kind_migrations (resource, version) VALUES (?, ?)
            ON CONFLICT (resource) DO UPDATE SET version = excluded.version
            """,
            [.text(resource), .integer(Int64(version))])
    }

    /// Runs one step and its bookkeeping, in one transaction unless the step cannot run in one.
    private static func apply(
        _ migration: Migration, owner: String, on connection: SQLiteConnection, record: () throws -> Void
    ) throws {
        do {
            if migration.runsInTransaction {
                try connection.transaction {
                    try connection.execute(migration.sql)
                    try record()
                }
            } else {
                try connection.execute(migration.sql)
                try record()
            }
        } catch {
            throw MigrationError(
                path: connection.path,
                problem: "migration \(migration.version) of \(owner) (\(migration.summary)) failed: \(error)"
            )
        }
    }

    /// How far a kind's table has come, and whether that is recorded: its `kind_migrations` row; without one,
    /// the steps an older release's shared list applied, if the table is there (a new database interrupted before
    /// version 5 has none).
    static func kindVersion(_ kind: KindSchema, on connection: SQLiteConnection) throws -> (Int, isRecorded: Bool) {
        let recorded = "SELECT version FROM kind_migrations WHERE resource = ?"
        if let version = try connection.scalar(recorded, [.text(kind.table.resource)]).int64Value {
            return (Int(version), true)
        }
        let shared = Int(try connection.scalar(recorded, [.text(Schema.sharedVersionOwner)]).int64Value ?? 0)
        let exists = try connection.scalar(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", [.text(kind.table.table)])
        guard shared > 0, exists.int64Value == 1 else { return (0, false) }
        return (kind.migrations.prefix { ($0.sharedVersion ?? .max) <= shared }.last?.version ?? 0, false)
    }

    /// The database's `PRAGMA user_version`: the version of the store's own tables.
    package static func userVersion(_ connection: SQLiteConnection) throws -> Int {
        Int(try connection.scalar("PRAGMA user_version").int64Value ?? 0)
    }
}
