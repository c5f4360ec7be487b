import Foundation
import Synchronization
import WatcherLog
import WatcherSQLite

/// The SQLite work queue: due rows in, verified results and transitions out.
///
/// Two connections, each owned by its own serial queue: the reader serves the scheduler and is never stuck
/// behind a write that waits for a producer's lock (WAL lets it read meanwhile); the writer commits results in
/// batches, each batch one transaction.
package final class WatchStore: Sendable {
    /// The database file.
    package let path: String
    private let reader: SerialDatabase
    private let writer: SerialDatabase
    /// Counting a million rows takes ~100 ms: on its own connection, so it never delays the scheduler's reads.
    private let counter: SerialDatabase
    private let identity: DatabaseFileIdentity?
    private let writerDataVersion = Atomic<Int64>(0)
    private let writerActivity = Atomic<UInt64>(0)
    /// Queue indexes that were missing (dropped by someone) and were built again on opening, for the log.
    package let restoredIndexes: [String]

    /// Opens (creating if needed) and migrates the database: the store's own tables, then each kind's.
    ///
    /// - Parameter busyTimeoutMilliseconds: how long a statement waits for another process's lock before
    ///   failing with `SQLITE_BUSY`; the caller retries after that.
    package init(path: String, kinds: [KindSchema], busyTimeoutMilliseconds: Int32 = 5_000) throws {
        self.path = path
        var restored: [String] = []
        writer = try SerialDatabase(path: path, mode: .readWrite(create: true), label: "sqlite.writer") { connection in
            connection.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
            try WatchStore.configure(connection)
            try Migrator.migrate(connection, kinds: kinds)
            restored = try Migrator.restoreQueueIndexes(connection, kinds: kinds)
        }
        restoredIndexes = restored
        reader = try SerialDatabase(path: path, mode: .readWrite(create: false), label: "sqlite.reader") { connection in
            connection.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
            try connection.execute(Self.readerCacheSize)
        }
        counter = try SerialDatabase(path: path, mode: .readWrite(create: false), label: "sqlite.counter") {
            connection in
            connection.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
            try connection.execute(Self.readerCacheSize)
        }
        identity = DatabaseFileIdentity(path: path)
    }

    /// Nil while the path still names the file the connections opened. After the file is deleted or replaced,
    /// SQLite goes on writing happily into the orphaned inode, which nobody will ever read again: the caller
    /// must stop, not lose answers silently.
    package func fileProblem() -> String? {
        identity?.problem(path: path, holder: "the watcher")
    }

    /// Bytes of the database's `-wal` file now (0 when there is none).
    package var writeAheadLogBytes: Int { StorageFigures.fileSize(path + "-wal") }

    /// The page cache of the reading connections, 512 KiB instead of SQLite's 2 MB: it is emptied whenever the writer
    /// commits (every few milliseconds), so a larger one only refilled itself, 2 MB per count of a million rows.
    static let readerCacheSize = "PRAGMA cache_size = -512"

    /// WAL so producers and the daemon never block each other's reads; NORMAL sync is durable against a process
    /// crash (kill -9) and loses at most the last commits on power loss, never consistency.
    static func configure(_ connection: SQLiteConnection) throws {
        let mode = try connection.scalar("PRAGMA journal_mode = WAL").stringValue ?? ""
        guard mode.lowercased() == "wal" else {
            throw MigrationError(path: connection.path, problem: "cannot switch to WAL journal mode (got \(mode))")
        }
        try connection.execute("PRAGMA synchronous = NORMAL")
        try connection.execute(walSizeLimit)
    }

    /// Without a limit SQLite reuses the `-wal` file from its start but never shortens it, so one burst (a reader
    /// holding a transaction open for an hour, a `VACUUM`) left a file of hundreds of MB for as long as the daemon
    /// ran. With it, the next write after a complete checkpoint cuts the file back to 16 MiB, four times what
    /// the automatic checkpoint (1,000 pages) lets it reach in normal work, so that never truncates.
    static let walSizeLimit = "PRAGMA journal_size_limit = 16777216"

    /// Closes both connections.
    package func close() {
        reader.close()
        counter.close()
        writer.close()
    }

    // MARK: Reading

    /// The first `limit` active rows of a merchant in the order they should be polled: rows never polled first,
    /// then by `next_poll_at`. Includes rows due later, so the caller knows when to wake.
    package func upcomingRows(_ table: ResourceTable, merchant: String, limit: Int) async throws -> [QueuedRow] {
        let sql = """
            SELECT \(Self.selectList(table)) FROM \(table.table) INDEXED BY \(table.indexes.due)
            WHERE merchant_id = ? AND state IN (\(table.activeStateList)) AND next_poll_at IS NOT NULL
            ORDER BY next_poll_at LIMIT ?
            """
        return try await reader.perform { connection in
            try connection.query(sql, [.text(merchant), .integer(Int64(limit))]).map { Self.row($0, table) }
        }
    }

    /// Rows a producer inserted that the daemon has not looked at yet (`PENDING` with no `next_poll_at`).
    package func newRows(_ table: ResourceTable, limit: Int) async throws -> [QueuedRow] {
        let sql = """
            SELECT \(Self.selectList(table)) FROM \(table.table) INDEXED BY \(table.indexes.new)
            WHERE state = 'PENDING' AND next_poll_at IS NULL LIMIT ?
            """
        return try await reader.perform { connection in
            try connection.query(sql, [.integer(Int64(limit))]).map { Self.row($0, table) }
        }
    }

    /// Rows after rowid `after` and at most `span` rowids on whose state is none of `known` (at most 100), and the
    /// last rowid looked at: each call looks only at rows no earlier call looked at, so its cost follows the inserts,
    /// not the table.
    package func rowsInUnknownStates(
        _ table: ResourceTable, known: [String], after: Int64, span: Int64 = 50_000
    ) async throws -> (rows: [UnknownStateRow], through: Int64) {
        let limit = 100
        let knownList = QueueIndexes.sqlList(known)
        let sql = """
            SELECT rowid, merchant_id, \(table.idColumn), CASE typeof(state) WHEN 'text' THEN state ELSE quote(state) END
            FROM \(table.table) WHERE rowid > ? AND rowid <= ? AND (state NOT IN (\(knownList)) OR typeof(state) <> 'text')
            ORDER BY rowid LIMIT ?
            """
        return try await reader.perform { connection in
            let last =
                try connection.query("SELECT coalesce(max(rowid), 0) FROM \(table.table)").first?[0].int64Value ?? 0
            let end = min(last, after &+ max(1, span))
            let rows = try connection.query(sql, [.integer(after), .integer(end), .integer(Int64(limit))])
                .map(Self.unknownStateRow)
            return (rows, rows.count == limit ? rows[limit - 1].rowID : max(after, end))
        }
    }

    /// Rows anywhere in the table whose state is none of `known` (at most `limit`), for the merchants after
    /// `afterMerchant` (nil: from the first), at most `merchants` of them; and the last merchant looked at, nil once
    /// the last one was. It finds the rows a producer updated into such a state, which a look at new rowids misses.
    ///
    /// Its cost follows the merchants and known states, not the table: each merchant's states are read from the
    /// (merchant, state) index by range, below the first known state, between each two, and above the last (where
    /// a blob sorts); the next merchant is one seek in the same index.
    package func rowsInUnknownStatesAcrossTable(
        _ table: ResourceTable, known: [String], afterMerchant: MerchantCursor?, merchants: Int = 200,
        limit: Int = 100
    ) async throws -> (rows: [UnknownStateRow], lastMerchant: MerchantCursor?) {
        let sorted = Array(Set(known)).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let index = table.indexes.byState
        let columns = """
            rowid, merchant_id, \(table.idColumn), CASE typeof(state) WHEN 'text' THEN state ELSE quote(state) END
            """
        // SQLite compares text with memcmp by default (BINARY), the byte order `sorted` uses.
        let ranges: [(condition: String, bounds: [SQLiteValue])] =
            sorted.isEmpty
            ? []
            : [("state < ?", [.text(sorted[0])])]
                + zip(sorted, sorted.dropFirst()).map { ("state > ? AND state < ?", [.text($0), .text($1)]) }
                + [("state > ?", [.text(sorted[sorted.count - 1])])]
        let statesSQL =
            ranges.map { range in
                "SELECT \(columns) FROM \(table.table) INDEXED BY \(index) WHERE merchant_id = ? AND \(range.condition)"
            }.joined(separator: " UNION ALL ") + " LIMIT ?"
        return try await reader.perform { connection in
            try Self.eachMerchant(
                of: table, after: afterMerchant, merchants: merchants, limit: limit, on: connection
            ) { merchant, wanted in
                guard !ranges.isEmpty else { return [] }
                let arguments = ranges.flatMap { [merchant] + $0.bounds } + [.integer(Int64(wanted))]
                return try connection.query(statesSQL, arguments).map(Self.unknownStateRow)
            }
        }
    }

    private static func unknownStateRow(_ row: SQLiteRow) -> UnknownStateRow {
        UnknownStateRow(
            rowID: row[0].int64Value ?? 0, merchantID: text(row[1]) ?? "", resourceID: text(row[2]) ?? "",
            state: text(row[3]) ?? "")
    }

    /// `body`'s rows for each merchant of `table` after `after` (nil: from the first), in order, at most
    /// `merchants` of them and `limit` rows in all (`body` is told how many it may still return), and the last
    /// merchant looked at, nil once past the last. The next merchant is one seek in the (merchant, state) index.
    private static func eachMerchant<Row>(
        of table: ResourceTable, after: MerchantCursor?, merchants: Int, limit: Int, on connection: SQLiteConnection,
        _ body: (_ merchant: SQLiteValue, _ wanted: Int) throws -> [Row]
    ) throws -> (rows: [Row], lastMerchant: MerchantCursor?) {
        let index = table.indexes.byState
        let first = "SELECT merchant_id FROM \(table.table) INDEXED BY \(index) ORDER BY merchant_id LIMIT 1"
        let next = """
            SELECT merchant_id FROM \(table.table) INDEXED BY \(index) WHERE merchant_id > ? ORDER BY merchant_id LIMIT 1
            """
        var found: [Row] = []
        var merchant = after?.value
        for _ in 0..<max(1, merchants) {
            let row = try merchant.map { try connection.query(next, [$0]) } ?? connection.query(first)
            guard let value = row.first?[0] else { return (found, nil) }
            merchant = value
            found += try body(value, limit - found.count)
            if found.count >= limit { break }
        }
        return (found, merchant.map(MerchantCursor.init))
    }

    /// Rows in an active state other than `PENDING` that the daemon has not scheduled (`next_poll_at` NULL): a
    /// producer inserted them so, or updated them into such a state; the look at new rows finds only `PENDING`
    /// ones. For the merchants after `afterMerchant` (nil: from the first), at most `merchants` of them, at most
    /// `limit` rows; and the last merchant looked at, nil once the last one was.
    ///
    /// Each merchant's rows are one range of the due index (`merchant_id`, `next_poll_at` NULL), which holds only
    /// rows in active states; the next merchant is one seek in the (merchant, state) index.
    package func unscheduledActiveRows(
        _ table: ResourceTable, afterMerchant: MerchantCursor?, merchants: Int = 200, limit: Int = 500
    ) async throws -> (rows: [QueuedRow], lastMerchant: MerchantCursor?) {
        let sql = """
            SELECT \(Self.selectList(table)) FROM \(table.table) INDEXED BY \(table.indexes.due)
            WHERE merchant_id = ? AND state IN (\(table.activeStateList)) AND next_poll_at IS NULL
              AND state <> 'PENDING' LIMIT ?
            """
        return try await reader.perform { connection in
            try Self.eachMerchant(
                of: table, after: afterMerchant, merchants: merchants, limit: limit, on: connection
            ) { merchant, wanted in
                try connection.query(sql, [merchant, .integer(Int64(wanted))]).map { Self.row($0, table) }
            }
        }
    }

    /// Merchants of `table` that are not in `configured` and have scheduled active rows (`next_poll_at` set), with
    /// how many (counted up to `countLimit`): rows of a merchant removed from the configuration, or scheduled by a
    /// producer that set `next_poll_at` itself, which no lane polls and the look at new rows never sees (rows with
    /// no `next_poll_at` are intake's: it rejects those). For the merchants after `afterMerchant` (nil: from the
    /// first), at most `merchants` of them; and the last merchant looked at, nil once the last one was. Each count
    /// is one range of the due index, bounded by `countLimit`.
    package func unconfiguredMerchantsWithActiveRows(
        _ table: ResourceTable, configured: Set<String>, afterMerchant: MerchantCursor?, merchants: Int = 200,
        countLimit: Int
    ) async throws -> (rows: [(merchant: String, activeRows: Int)], lastMerchant: MerchantCursor?) {
        let sql = """
            SELECT count(*) FROM (SELECT 1 FROM \(table.table) INDEXED BY \(table.indexes.due)
            WHERE merchant_id = ? AND state IN (\(table.activeStateList)) AND next_poll_at IS NOT NULL LIMIT ?)
            """
        return try await reader.perform { connection in
            try Self.eachMerchant(
                of: table, after: afterMerchant, merchants: merchants, limit: .max, on: connection
            ) { merchant, _ in
                let name = Self.text(merchant) ?? ""
                if case .text(let text) = merchant, configured.contains(text) { return [] }
                let count =
                    try connection.query(sql, [merchant, .integer(Int64(countLimit))]).first?[0].int64Value ?? 0
                return count > 0 ? [(merchant: name, activeRows: Int(count))] : []
            }
        }
    }

    /// Active rows created before `cutoff`: past their deadline.
    ///
    /// The index orders `created_at` as text, which is time order only within one format: it narrows the rows to
    /// those that may be old (every row of the cutoff's date or earlier in any `YYYY-MM-DD…` format, and every
    /// number), and the instant each one really names decides. A time written with a positive offset from UTC may
    /// be found up to that offset late; the lane, which checks each row it reaches, is not.
    package func rowsCreatedBefore(_ table: ResourceTable, cutoff: Date, limit: Int) async throws -> [QueuedRow] {
        let sql = """
            SELECT \(Self.selectList(table)) FROM \(table.table) INDEXED BY \(table.indexes.deadline)
            WHERE state IN (\(table.activeStateList)) AND created_at < ? AND \(Self.createdSeconds) < ? LIMIT ?
            """
        let cutoffText = Timestamp.rfc3339(cutoff)
        return try await reader.perform { connection in
            try connection.query(
                sql, [.text(cutoffText), .real(cutoff.timeIntervalSince1970), .integer(Int64(limit))]
            ).map { Self.row($0, table) }
        }
    }

    /// `created_at` as Unix seconds: a number (the column's text affinity stores one as its digits) is taken as
    /// Unix seconds, or milliseconds above 1e11 (as seconds that is the year 5138; as milliseconds, 1973), other text as any date and time SQLite reads (`2026-12-02T08:00:00Z`, `2026-12-02 08:00:00`,
    /// with or without an offset); NULL when it is neither.
    static let createdSeconds = """
        CASE WHEN typeof(created_at) IN ('integer', 'real') OR (created_at NOT LIKE '%-%' \
        AND CAST(created_at AS REAL) > 1e8) THEN CAST(created_at AS REAL) \
        / (CASE WHEN CAST(created_at AS REAL) > 1e11 THEN 1000.0 ELSE 1.0 END) \
        ELSE (julianday(created_at) - 2440587.5) * 86400.0 END
        """

    /// How many rows of a merchant are being watched (intake has seen them: `next_poll_at` is set, and the state is
    /// active), and when the oldest active row was created. The count reads every such row (~80 ms of CPU at a
    /// million); the oldest is one index seek.
    package func activeSummary(_ table: ResourceTable, merchant: String) async throws -> ActiveSummary {
        try await activeSummary(table, merchant: merchant, marking: {}).summary
    }

    /// ``activeSummary(_:merchant:)`` in one read transaction, with `mark` called just before its first read and
    /// just after its last: the database it read is at least as new as the first mark and no newer than the second
    /// (e.g. the writer's last transaction number).
    package func activeSummary<Mark: Sendable>(
        _ table: ResourceTable, merchant: String, marking mark: @escaping @Sendable () -> Mark
    ) async throws -> (summary: ActiveSummary, before: Mark, after: Mark) {
        let count = """
            SELECT count(*) FROM \(table.table) INDEXED BY \(table.indexes.due)
            WHERE merchant_id = ? AND state IN (\(table.activeStateList)) AND next_poll_at IS NOT NULL
            """
        let oldest = Self.oldestActiveSQL(table)
        return try await counter.perform { connection in
            try connection.execute("BEGIN")
            defer { try? connection.execute("COMMIT") }
            let before = mark()
            let summary = ActiveSummary(
                count: Int(try connection.scalar(count, [.text(merchant)]).int64Value ?? 0),
                oldestCreatedAt: try connection.scalar(oldest, [.text(merchant)]).doubleValue
            )
            return (summary, before, mark())
        }
    }

    /// `created_at` of a merchant's oldest active row, as unix seconds (one index seek); nil when there is none.
    package func oldestActiveCreatedAt(_ table: ResourceTable, merchant: String) async throws -> Double? {
        let oldest = Self.oldestActiveSQL(table)
        return try await counter.perform { connection in try connection.scalar(oldest, [.text(merchant)]).doubleValue }
    }

    private static func oldestActiveSQL(_ table: ResourceTable) -> String {
        "SELECT min(created_seconds) FROM (\(oldestActiveCandidatesSQL(table, columns: "")))"
    }

    /// A merchant's active rows that may be its oldest, each with `created_seconds` (``createdSeconds``): the
    /// first by the index's text order. That order is time order within one format, and puts the earliest date's
    /// rows, and every Unix time, first; a bounded number of them keeps it one short index walk.
    static func oldestActiveCandidatesSQL(_ table: ResourceTable, columns: String) -> String {
        """
        SELECT \(columns)\(createdSeconds) AS created_seconds FROM \(table.table) INDEXED BY \(table.indexes.oldest)
        WHERE merchant_id = ? AND state IN (\(table.activeStateList)) ORDER BY created_at LIMIT 1000
        """
    }

    /// `PRAGMA cache_size` of the writer, the reader and the counter, in that order (negative: KiB).
    package func cacheSizes() async throws -> [Int] {
        var sizes: [Int] = []
        for database in [writer, reader, counter] {
            sizes.append(try await database.perform { Int(try $0.scalar("PRAGMA cache_size").int64Value ?? 0) })
        }
        return sizes
    }

    /// `PRAGMA data_version` of the writer as of its last transaction. It moves only when a connection other than
    /// the writer commits (a producer, an operator, the retention pruner), never for the daemon's own answers, so
    /// it tells a lane whether anyone else may have changed its rows; at rest it is as fresh as the activity
    /// recorder's heartbeat (5 s).
    package var foreignVersion: Int64 { writerDataVersion.load(ordering: .relaxed) }

    /// Moves when the writer connection starts or ends a piece of work. A change since an earlier look means the
    /// daemon itself may have written the `-wal` file meanwhile, so a write reported then need not be a producer's.
    package var writerActivityCount: UInt64 { writerActivity.load(ordering: .relaxed) }

    /// `PRAGMA data_version` of the reader: changes whenever another connection (a producer, or our writer)
    /// commits. Polling it is the cheap way to notice new rows.
    package func dataVersion() async throws -> Int64 {
        try await reader.perform { connection in try connection.dataVersion() }
    }

    static func selectList(_ table: ResourceTable) -> String {
        let parameters = table.parameterColumns.map { ", \($0)" }.joined()
        return """
            rowid, merchant_id, \(table.idColumn), brand_id\(parameters), state,
            \(createdSeconds), first_seen_at, next_poll_at, poll_count,
            last_polled_at, failure_count, not_found_since
            """
    }

    static func row(_ row: SQLiteRow, _ table: ResourceTable) -> QueuedRow {
        var parameters: [String: String] = [:]
        for (offset, column) in table.parameterColumns.enumerated() {
            parameters[column] = text(row[4 + offset])
        }
        let base = 4 + table.parameterColumns.count
        let identifying = ["merchant_id", table.idColumn, "brand_id"]
        let unreadable = zip(identifying, [row[1], row[2], row[3]]).first { if case .blob = $1 { true } else { false } }
        var queued = QueuedRow(
            rowID: row[0].int64Value ?? 0,
            merchantID: text(row[1]) ?? "",
            resourceID: text(row[2]) ?? "",
            brandID: text(row[3]) ?? "",
            parameters: parameters,
            state: text(row[base]) ?? "",
            createdAt: row[base + 1].doubleValue,
            firstSeenAt: row[base + 2].doubleValue,
            nextPollAt: row[base + 3].doubleValue,
            pollCount: Int(row[base + 4].int64Value ?? 0),
            lastPolledAt: row[base + 5].doubleValue,
            failureCount: Int(row[base + 6].int64Value ?? 0),
            notFoundSince: row[base + 7].doubleValue
        )
        queued.unreadable = unreadable.map { "\($0.0) is not text: a BLOB, or bytes that are not UTF-8" }
        return queued
    }

    /// Producers may store numbers in TEXT columns of other affinity; read them back as text.
    private static func text(_ value: SQLiteValue) -> String? {
        switch value {
        case .text(let text): text
        case .integer(let number): String(number)
        case .real(let number): String(number)
        case .blob(let bytes): String(decoding: bytes, as: UTF8.self)
        case .null: nil
        }
    }

    // MARK: Writing

    /// Writes `updates` in one transaction, each with its transition row; returns one result per update, in order.
    /// An update whose row is no longer in the expected state is skipped. Throws without writing anything when
    /// the transaction fails (e.g. `SQLITE_BUSY`): the caller keeps the updates and retries.
    package func apply(_ updates: [RowUpdate]) async throws -> [UpdateResult] {
        try await apply(updates, committed: {}).results
    }

    /// ``apply(_:)``, calling `committed` on the writing connection's queue as soon as the transaction is
    /// committed, and returning what it returned: whatever it records is in place before the writer's next
    /// statement, with no thread hop between the commit and it.
    package func apply<Mark: Sendable>(
        _ updates: [RowUpdate], committed: @escaping @Sendable () -> Mark
    ) async throws -> (results: [UpdateResult], mark: Mark) {
        try await performWrite { connection in
            let results = try Self.apply(updates, on: connection)
            return (results, committed())
        }
    }

    private func noteWriterActivity() { writerActivity.wrappingAdd(1, ordering: .relaxed) }

    private func noteWriterDataVersion(_ connection: SQLiteConnection) {
        if let version = try? connection.dataVersion() { writerDataVersion.store(version, ordering: .relaxed) }
    }

    static func apply(_ updates: [RowUpdate], on connection: SQLiteConnection) throws -> [UpdateResult] {
        try connection.transaction {
            try updates.map { update in
                let (sql, arguments) = updateStatement(update)
                guard try connection.run(sql, arguments) == 1 else { return .skipped }
                guard update.changesState, let newState = update.newState else { return .applied(nil) }
                let transition = CommittedTransition(
                    resource: update.table.resource,
                    merchantID: update.merchantID,
                    resourceID: update.resourceID,
                    from: update.expectedState,
                    to: newState,
                    detail: update.transitionDetail
                )
                try insert(transition, at: update.at, on: connection)
                return .applied(transition)
            }
        }
    }

    private static func insert(_ transition: CommittedTransition, at: Date, on connection: SQLiteConnection) throws {
        try connection.run(
            """
            INSERT INTO state_transitions (resource, merchant_id, resource_id, from_state, to_state, at, detail)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(transition.resource), .text(transition.merchantID), .text(transition.resourceID),
                .text(transition.from), .text(transition.to), .text(Timestamp.rfc3339(at)),
                transition.detail.map { .text($0) } ?? .null,
            ]
        )
    }

    /// Builds the UPDATE for one change from its ``RowUpdate/assignments``. The SQL text depends only on which
    /// fields change, so the connection's statement cache holds a handful of variants.
    static func updateStatement(_ update: RowUpdate) -> (String, [SQLiteValue]) {
        var assignments: [String] = []
        var arguments: [SQLiteValue] = []
        for assignment in update.assignments {
            switch assignment {
            case .set(let column, let value):
                assignments.append("\(column) = ?")
                arguments.append(value)
            case .clear(let column):
                assignments.append("\(column) = NULL")
            case .increment(let column):
                assignments.append("\(column) = \(column) + 1")
            case .setIfNull(let column, let value):
                assignments.append("\(column) = coalesce(\(column), ?)")
                arguments.append(value)
            }
        }
        let firstSeen = update.expectedFirstSeenAt.map { SQLiteValue.real($0) } ?? .null
        if update.matchesRowIDOnly {
            let sql = """
                UPDATE \(update.table.table) SET \(assignments.joined(separator: ", "))
                WHERE rowid = ? AND state = ? AND first_seen_at IS ?
                """
            return (sql, arguments + [.integer(update.rowID), .text(update.expectedState), firstSeen])
        }
        // `first_seen_at` tells the row the update was decided for from a row inserted since under the same rowid.
        let sql = """
            UPDATE \(update.table.table) SET \(assignments.joined(separator: ", "))
            WHERE rowid = ? AND merchant_id = ? AND \(update.table.idColumn) = ? AND state = ? AND first_seen_at IS ?
            """
        arguments += [
            .integer(update.rowID), .text(update.merchantID), .text(update.resourceID), .text(update.expectedState),
            firstSeen,
        ]
        return (sql, arguments)
    }

    /// Work on the writer connection, for the store's own typed methods in other files.
    func performWrite<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await writer.perform { connection in
            self.noteWriterActivity()
            defer { self.noteWriterActivity() }
            let result = try body(connection)
            self.noteWriterDataVersion(connection)
            return result
        }
    }

    /// Read-only work on the reader connection, for the store's own typed methods in other files.
    func performRead<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await reader.perform(body)
    }
}

/// A merchant's rows still watched in one table.
package struct ActiveSummary: Sendable, Equatable {
    /// How many rows intake has seen that are still active.
    package var count: Int
    /// `created_at` of the oldest active row, as unix seconds; nil when there is none.
    package var oldestCreatedAt: Double?

    package init(count: Int, oldestCreatedAt: Double?) {
        self.count = count
        self.oldestCreatedAt = oldestCreatedAt
    }
}

/// What happened to one update of a call to ``WatchStore/apply(_:)``.
package enum UpdateResult: Sendable, Equatable {
    /// Written; with the transition written alongside, if the state changed.
    case applied(CommittedTransition?)
    /// Not written: the row had changed state or disappeared meanwhile.
    case skipped

    /// True when the update was written.
    package var isApplied: Bool {
        if case .applied = self { return true }
        return false
    }

    /// The transition written, if any.
    package var transition: CommittedTransition? {
        if case .applied(let transition) = self { return transition }
        return nil
    }
}

/// Where a look through a table's merchants stopped: the next look starts after this merchant.
package struct MerchantCursor: Sendable, Equatable {
    let value: SQLiteValue
}
