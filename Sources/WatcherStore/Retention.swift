import Foundation
import WatcherLog
import WatcherSQLite

/// The moments before which final rows and transitions are old enough to delete; nil keeps them forever.
package struct RetentionCutoffs: Sendable, Equatable {
    /// Final rows that became final earlier than this (``Retention/finalBefore``) are deleted with their transitions.
    package var finalRowsBefore: Date?
    /// Transitions whose `at` is earlier than this are deleted, also of rows still kept.
    package var transitionsBefore: Date?

    /// The cutoffs for periods in days counted back from `now`; a period of 0 keeps everything it governs.
    package init(finalRowDays: Int, transitionDays: Int, now: Date) {
        func before(_ days: Int) -> Date? { days > 0 ? now.addingTimeInterval(-Double(days) * 86_400) : nil }
        finalRowsBefore = before(finalRowDays)
        transitionsBefore = before(transitionDays)
    }

    /// True when neither period is set.
    package var keepsEverything: Bool { finalRowsBefore == nil && transitionsBefore == nil }
}

/// A final row old enough to delete, as read before the write transaction that deletes it.
package struct ExpiredRow: Sendable, Equatable {
    /// Its rowid, also the cursor of the walk through the table.
    package var rowID: Int64
    /// The merchant.
    package var merchantID: String
    /// WeChat Pay's id of the resource.
    package var resourceID: String
    /// The two as stored, which the delete matches: a producer may have written either as a BLOB.
    var storedMerchantID: SQLiteValue? = nil
    var storedResourceID: SQLiteValue? = nil
}

/// What a batch or a pass removed (or, in a dry run, would remove).
package struct PruneCounts: Sendable, Equatable {
    /// Rows deleted, per resource (`image_generation_task`, …).
    package var rows: [String: Int] = [:]
    /// Transition rows deleted: those of the deleted rows and the old history of rows kept.
    package var transitions = 0

    /// Nothing removed.
    package init() {}

    /// Rows deleted, over every resource.
    package var totalRows: Int { rows.values.reduce(0, +) }

    /// Adds another count to this one.
    package mutating func add(_ other: PruneCounts) {
        rows.merge(other.rows, uniquingKeysWith: +)
        transitions += other.transitions
    }
}

/// The database file's size and free space, for `status` and the log.
package struct StorageFigures: Codable, Sendable, Equatable {
    /// Bytes of the database file on disk.
    package var fileBytes: Int
    /// Bytes of its write-ahead log.
    package var walBytes: Int
    /// SQLite's page size.
    package var pageSize: Int
    /// Pages in the database (`PRAGMA page_count`).
    package var pages: Int
    /// Pages on the free list, reusable and returned to the file system by incremental vacuum.
    package var freePages: Int
    /// `PRAGMA auto_vacuum`: `none`, `full` or `incremental`.
    package var autoVacuum: String

    /// Reads the figures through `connection`.
    package static func read(_ connection: SQLiteConnection) throws -> StorageFigures {
        func pragma(_ name: String) throws -> Int { Int(try connection.scalar("PRAGMA \(name)").int64Value ?? 0) }
        let modes = [0: "none", 1: "full", 2: "incremental"]
        let autoVacuum = try pragma("auto_vacuum")
        return StorageFigures(
            fileBytes: fileSize(connection.path),
            walBytes: fileSize(connection.path + "-wal"),
            pageSize: try pragma("page_size"),
            pages: try pragma("page_count"),
            freePages: try pragma("freelist_count"),
            autoVacuum: modes[autoVacuum] ?? String(autoVacuum)
        )
    }

    static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }
}

/// Consecutive old transitions, the unit the history is deleted in.
package struct TransitionBatch: Sendable, Equatable {
    /// The first and last id; every transition between them is old.
    package var ids: ClosedRange<Int64>
    /// How many transitions the range holds (ids have gaps).
    package var count: Int
}

/// The SQL of retention. Every write is one short transaction over a bounded batch, and every search for work is
/// a read outside any write transaction, so a producer waiting for the lock waits for one batch at most.
package enum Retention {
    /// The migration that makes deleted pages returnable to the file system. Switching `auto_vacuum` on a database
    /// that has tables takes a `VACUUM`, which rewrites the whole file once and cannot run inside a transaction.
    package static let incrementalVacuumMigration = Migration(
        version: 4,
        summary: "incremental auto-vacuum (rewrites the database file once)",
        sql: "PRAGMA auto_vacuum = INCREMENTAL; VACUUM;",
        runsInTransaction: false
    )

    /// True while the database still needs the one-time rewrite of ``incrementalVacuumMigration``.
    package static func needsRewrite(_ connection: SQLiteConnection) throws -> Bool {
        try Migrator.userVersion(connection) < incrementalVacuumMigration.version
            && connection.scalar("PRAGMA auto_vacuum").int64Value != 2
    }

    /// Whether a final row became final before the cutoff: at its `completed_at`; a row a producer made final itself
    /// (inserted in a final state, or set to one) has none, and became final at its `updated_at` (the last write),
    /// else its `created_at`. The cutoff is bound twice, as text (``Timestamp/rfc3339(_:)``) then as Unix seconds.
    static let finalBefore = """
        (completed_at < ? OR (completed_at IS NULL AND \(finalSinceWithoutCompletion) < ?))
        """

    /// ``finalBefore``'s reading of a row without `completed_at`: `updated_at` when it is a date SQLite reads, else
    /// `created_at` read as the deadline reads it.
    static let finalSinceWithoutCompletion = """
        COALESCE((julianday(CASE WHEN typeof(updated_at) = 'text' THEN updated_at END) - 2440587.5) * 86400.0, \
        \(WatchStore.createdSeconds))
        """

    /// The arguments that bind `cutoff` into ``finalBefore``.
    static func cutoffArguments(_ cutoff: Date) -> [SQLiteValue] {
        [.text(Timestamp.rfc3339(cutoff)), .real(cutoff.timeIntervalSince1970)]
    }

    /// Up to `limit` rows of `table` that are final and became final before `cutoff` (``finalBefore``), with
    /// rowids above `after`, in rowid order. A row a producer set back to an active state is not final, whatever
    /// its old `completed_at`.
    package static func expiredRows(
        _ table: ResourceTable, before cutoff: Date, after rowID: Int64, limit: Int, on connection: SQLiteConnection
    ) throws -> [ExpiredRow] {
        let sql = """
            SELECT rowid, merchant_id, \(table.idColumn) FROM \(table.table)
            WHERE rowid > ? AND state NOT IN (\(table.activeStateList)) AND \(finalBefore)
            ORDER BY rowid LIMIT ?
            """
        return try connection.query(
            sql, [.integer(rowID)] + cutoffArguments(cutoff) + [.integer(Int64(limit))]
        ).map { row in
            ExpiredRow(
                rowID: row["rowid"].int64Value ?? 0,
                merchantID: row["merchant_id"].stringValue ?? "",
                resourceID: row[table.idColumn].stringValue ?? "",
                storedMerchantID: row["merchant_id"],
                storedResourceID: row[table.idColumn]
            )
        }
    }

    /// Deletes `rows` and their transitions in one transaction. Each row is deleted only if it is still final and
    /// old (a producer may have set it back to `PENDING` since it was read); its transitions only if it was.
    package static func delete(
        _ rows: [ExpiredRow], of table: ResourceTable, before cutoff: Date, on connection: SQLiteConnection
    ) throws -> PruneCounts {
        let deleteRow = """
            DELETE FROM \(table.table)
            WHERE rowid = ? AND merchant_id = ? AND \(table.idColumn) = ?
              AND state NOT IN (\(table.activeStateList)) AND \(finalBefore)
            """
        let deleteTransitions =
            "DELETE FROM state_transitions WHERE resource = ? AND merchant_id = ? AND resource_id = ?"
        let cutoff = cutoffArguments(cutoff)
        return try connection.transaction {
            var counts = PruneCounts()
            for row in rows {
                let arguments: [SQLiteValue] = [.text(row.merchantID), .text(row.resourceID)]
                let stored = [row.storedMerchantID ?? arguments[0], row.storedResourceID ?? arguments[1]]
                guard try connection.run(deleteRow, [.integer(row.rowID)] + stored + cutoff) == 1
                else { continue }
                counts.rows[table.resource, default: 0] += 1
                counts.transitions += try connection.run(deleteTransitions, [.text(table.resource)] + arguments)
            }
            return counts
        }
    }

    /// How many transitions with ids above `id` `rows` have: what deleting them would also delete, once the
    /// history up to `id` is gone (the dry run).
    package static func transitionCount(
        of rows: [ExpiredRow], of table: ResourceTable, above id: Int64, on connection: SQLiteConnection
    ) throws -> Int {
        let sql = """
            SELECT count(*) FROM state_transitions WHERE resource = ? AND merchant_id = ? AND resource_id = ? AND id > ?
            """
        return try rows.reduce(0) { total, row in
            let arguments: [SQLiteValue] = [
                .text(table.resource), .text(row.merchantID), .text(row.resourceID), .integer(id),
            ]
            return total + Int(try connection.scalar(sql, arguments).int64Value ?? 0)
        }
    }

    /// The ids of the oldest transitions, at most `limit` of them, above `after`, up to the first one at or after
    /// `cutoff`. Ids follow commit order and `at` is the commit's clock, so history is old exactly up to that
    /// transition, and no index on `at` is needed (a clock stepped back can only delay a deletion).
    package static func oldTransitions(
        before cutoff: Date, after id: Int64, limit: Int, on connection: SQLiteConnection
    ) throws -> TransitionBatch? {
        let cutoffText = Timestamp.rfc3339(cutoff)
        var first: Int64?
        var last: Int64?
        var count = 0
        try connection.forEach(
            "SELECT id, at FROM state_transitions WHERE id > ? ORDER BY id LIMIT ?",
            [.integer(id), .integer(Int64(limit))]
        ) { row in
            guard let rowID = row["id"].int64Value, let at = row["at"].stringValue, at < cutoffText else {
                return false
            }
            first = first ?? rowID
            last = rowID
            count += 1
            return true
        }
        guard let first, let last else { return nil }
        return TransitionBatch(ids: first...last, count: count)
    }

    /// Deletes the transitions of `batch`, in one transaction; returns how many.
    package static func deleteTransitions(_ batch: TransitionBatch, on connection: SQLiteConnection) throws -> Int {
        try connection.transaction {
            try connection.run(
                "DELETE FROM state_transitions WHERE id BETWEEN ? AND ?",
                [.integer(batch.ids.lowerBound), .integer(batch.ids.upperBound)])
        }
    }

    /// Copies committed pages from the write-ahead log into the database without waiting for anyone. Done by the
    /// pruner after its batches, so that the many pages it writes are not checkpointed by whichever producer's
    /// commit next crosses the automatic threshold, inside that producer's wait.
    package static func checkpoint(on connection: SQLiteConnection) throws {
        _ = try connection.query("PRAGMA wal_checkpoint(PASSIVE)")
    }

    /// Pages on the free list.
    package static func freePages(on connection: SQLiteConnection) throws -> Int {
        Int(try connection.scalar("PRAGMA freelist_count").int64Value ?? 0)
    }

    /// Returns up to `pages` free pages to the file system: one short write transaction that moves pages from the
    /// end of the file into free slots and truncates it. Does nothing unless `auto_vacuum` is incremental.
    package static func vacuumStep(pages: Int, on connection: SQLiteConnection) throws {
        // Not through the statement cache: the page count is part of the text and changes with every batch size.
        try connection.execute("PRAGMA incremental_vacuum(\(max(1, pages)))")
    }

    /// When the oldest final row of `table` became final (its `completed_at`, or for a row without one, what
    /// ``finalBefore`` reads instead, as RFC 3339), or nil when there is none.
    package static func oldestFinal(_ table: ResourceTable, on connection: SQLiteConnection) throws -> String? {
        // One pass over the table: neither column has an index.
        let row = try connection.query(
            """
            SELECT min(completed_at), min(CASE WHEN completed_at IS NULL THEN \(finalSinceWithoutCompletion) END)
            FROM \(table.table) WHERE state NOT IN (\(table.activeStateList))
            """
        ).first
        let completed = row?[0].stringValue
        guard let uncompletedSeconds = row?[1].doubleValue else { return completed }
        if let completed, let completedAt = Timestamp.parse(completed),
            completedAt.timeIntervalSince1970 <= uncompletedSeconds
        {
            return completed
        }
        return Timestamp.rfc3339(Date(timeIntervalSince1970: (uncompletedSeconds * 1_000).rounded() / 1_000))
    }
}
