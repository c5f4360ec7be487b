import Foundation
import WatcherLog
import WatcherSQLite

/// What `status` shows: counts per state and merchant, the oldest unfinished row, recent request rates, recent
/// errors and the running process. Read from the database, so it works from any process.
package struct StatusReport: Codable, Sendable, Equatable {
    /// Row counts of one resource, merchant and state.
    package struct Count: Codable, Sendable, Equatable {
        /// The resource, e.g. `image_generation_task`.
        package var resource: String
        /// The merchant.
        package var merchantID: String
        /// The state.
        package var state: String
        /// How many rows.
        package var rows: Int
    }

    /// The oldest row still watched, per resource and merchant.
    package struct Oldest: Codable, Sendable, Equatable {
        /// The resource.
        package var resource: String
        /// The merchant.
        package var merchantID: String
        /// Its id.
        package var resourceID: String
        /// Its `created_at`.
        package var createdAt: String
        /// Seconds since then.
        package var ageSeconds: Double?
    }

    /// Requests over the last minutes, per merchant and API.
    package struct Rate: Codable, Sendable, Equatable {
        /// The merchant.
        package var merchantID: String
        /// The resource kind (the activity table's `api` column).
        package var resource: String
        /// Requests in the window.
        package var requests: Int
        /// 429s in the window.
        package var throttled: Int
        /// Failed requests (no answer, not verified, not believable) in the window.
        package var failures: Int
        /// Requests per second over the window.
        package var requestsPerSecond: Double
    }

    /// A recent error.
    package struct RecentError: Codable, Sendable, Equatable {
        /// When (RFC 3339).
        package var at: String
        /// Where: a resource and id, or `daemon`.
        package var subject: String
        /// The message.
        package var message: String
    }

    /// The daemon that last ran on this database.
    package struct Process: Codable, Sendable, Equatable {
        /// Its pid.
        package var pid: Int
        /// Its machine.
        package var hostname: String
        /// Its version.
        package var version: String
        /// When it started.
        package var startedAt: String
        /// Its last heartbeat.
        package var heartbeatAt: String
        /// When it stopped cleanly, if it did.
        package var stoppedAt: String?
        /// Its last status line.
        package var status: String?
    }

    /// The database file.
    package var database: String
    /// The schema version.
    package var schemaVersion: Int
    /// Counts.
    package var counts: [Count]
    /// Oldest unfinished rows.
    package var oldestUnfinished: [Oldest]
    /// The window of ``rates``, in minutes.
    package var rateWindowMinutes: Int
    /// Recent rates.
    package var rates: [Rate]
    /// Recent errors, newest first.
    package var recentErrors: [RecentError]
    /// The process row.
    package var process: Process?
    /// The file's size and free pages.
    package var storage: StorageFigures?
    /// The oldest final row per resource: what retention deletes first.
    package var oldestFinal: [OldestFinal] = []

    /// Reads the report.
    package static func load(
        from connection: SQLiteConnection,
        tables: [ResourceTable],
        now: Date,
        rateWindowMinutes: Int = 5
    ) throws -> StatusReport {
        var report = StatusReport(
            database: connection.path,
            schemaVersion: try Migrator.userVersion(connection),
            counts: [],
            oldestUnfinished: [],
            rateWindowMinutes: rateWindowMinutes,
            rates: [],
            recentErrors: [],
            process: nil
        )
        for table in tables {
            try report.addCounts(of: table, connection: connection, now: now)
        }
        report.rates = try ActivityTables.rates(windowMinutes: rateWindowMinutes, now: now, on: connection)
        try report.addErrors(tables: tables, connection: connection)
        report.process = try ActivityTables.process(on: connection)
        try report.addRetentionFigures(tables: tables, connection: connection, now: now)
        return report
    }

    private mutating func addCounts(of table: ResourceTable, connection: SQLiteConnection, now: Date) throws {
        for row in try connection.query(
            "SELECT merchant_id, state, count(*) FROM \(table.table) GROUP BY merchant_id, state ORDER BY merchant_id, state"
        ) {
            counts.append(
                Count(
                    resource: table.resource,
                    merchantID: row[0].stringValue ?? "",
                    state: row[1].stringValue ?? "",
                    rows: Int(row[2].int64Value ?? 0)
                )
            )
        }
        for merchant in Set(counts.filter { $0.resource == table.resource }.map(\.merchantID)).sorted() {
            let candidates = WatchStore.oldestActiveCandidatesSQL(table, columns: "\(table.idColumn), created_at, ")
            let oldest = try connection.query(
                "SELECT * FROM (\(candidates)) ORDER BY created_seconds IS NULL, created_seconds LIMIT 1",
                [.text(merchant)])
            guard let row = oldest.first else { continue }
            let created = row[1].stringValue ?? row[1].doubleValue.map { String($0) } ?? ""
            oldestUnfinished.append(
                Oldest(
                    resource: table.resource,
                    merchantID: merchant,
                    resourceID: row[0].stringValue ?? "",
                    createdAt: created,
                    ageSeconds: row[2].doubleValue.map { (now.timeIntervalSince1970 - $0).rounded() }
                )
            )
        }
    }

    private mutating func addErrors(tables: [ResourceTable], connection: SQLiteConnection) throws {
        var errors = try ActivityTables.recentErrors(limit: 5, on: connection)
        for table in tables {
            for row in try connection.query(
                """
                SELECT updated_at, merchant_id, \(table.idColumn), state, error FROM \(table.table)
                WHERE error IS NOT NULL ORDER BY updated_at DESC LIMIT 5
                """
            ) {
                let subject =
                    "\(table.resource) \(row[1].stringValue ?? "")/\(row[2].stringValue ?? "") (\(row[3].stringValue ?? ""))"
                errors.append(
                    RecentError(at: row[0].stringValue ?? "", subject: subject, message: row[4].stringValue ?? ""))
            }
        }
        recentErrors = Array(errors.sorted { $0.at > $1.at }.prefix(10))
    }
}
