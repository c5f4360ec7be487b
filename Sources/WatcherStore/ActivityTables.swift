import Foundation
import WatcherLog
import WatcherSQLite

/// Requests of one merchant and API in one minute, added to what `watcher_activity` already holds for it.
package struct ActivityCounts: Sendable, Equatable {
    /// The merchant.
    package var merchantID: String
    /// The resource kind (the `api` column), e.g. `image_generation_task`.
    package var resource: String
    /// Requests sent.
    package var requests: Int
    /// 429 answers.
    package var throttled: Int
    /// Requests without a believable answer.
    package var failures: Int

    package init(merchantID: String, resource: String, requests: Int, throttled: Int, failures: Int) {
        self.merchantID = merchantID
        self.resource = resource
        self.requests = requests
        self.throttled = throttled
        self.failures = failures
    }
}

/// One heartbeat of the running daemon: what it adds to the activity tables every few seconds.
package struct ActivityRecord: Sendable, Equatable {
    /// When (wall clock): the minute the counts belong to, and the heartbeat's time.
    package var at: Date
    /// The counts since the previous record; lanes without any are left out.
    package var counts: [ActivityCounts]
    /// An error new since the previous record, for `watcher_events`.
    package var newError: String?
    /// The status line for the process row; nil when this process keeps no process row.
    package var status: String?
    /// True for the last record of a clean stop: the process row gets `stopped_at`.
    package var isFinal: Bool

    package init(at: Date, counts: [ActivityCounts], newError: String?, status: String?, isFinal: Bool) {
        self.at = at
        self.counts = counts
        self.newError = newError
        self.status = status
        self.isFinal = isFinal
    }
}

/// The tables only the running process writes and `status`, run from any process, reads: `watcher_activity`
/// (requests per minute), `watcher_events` (recent daemon errors) and `watcher_process` (the heartbeat).
/// Their SQL lives here and nowhere else.
package enum ActivityTables {
    /// Activity older than this is deleted as new activity is written: `status` shows the last minutes.
    static let activityKept: Double = 2 * 86_400
    /// Daemon errors kept in `watcher_events`.
    static let eventsKept = 200

    /// The tables, as first created (part of schema version 1).
    static let createSQL = """
        CREATE TABLE watcher_activity (
          minute TEXT NOT NULL,                  -- e.g. 2026-11-22T08:01Z
          merchant_id TEXT NOT NULL,
          api TEXT NOT NULL,
          requests INTEGER NOT NULL DEFAULT 0,
          throttled INTEGER NOT NULL DEFAULT 0,
          failures INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (minute, merchant_id, api)
        ) WITHOUT ROWID;
        CREATE TABLE watcher_events (
          id INTEGER PRIMARY KEY,
          at TEXT NOT NULL,
          level TEXT NOT NULL,
          event TEXT NOT NULL,
          merchant_id TEXT,
          message TEXT NOT NULL
        );
        CREATE TABLE watcher_process (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          pid INTEGER NOT NULL,
          hostname TEXT NOT NULL,
          version TEXT NOT NULL,
          started_at TEXT NOT NULL,
          heartbeat_at TEXT NOT NULL,
          stopped_at TEXT,
          status TEXT
        );
        """

    /// `2026-11-22T08:01Z`: the key of a minute in `watcher_activity`.
    static func minute(_ date: Date) -> String { String(Timestamp.rfc3339(date).prefix(16)) + "Z" }

    /// Makes this process the one the process row describes, `starting`, with no stop recorded.
    static func recordStart(
        pid: Int32, hostname: String, version: String, at: Date, on connection: SQLiteConnection
    ) throws {
        let now = Timestamp.rfc3339(at)
        try connection.run(
            """
            INSERT INTO watcher_process (id, pid, hostname, version, started_at, heartbeat_at, stopped_at, status)
            VALUES (1, ?, ?, ?, ?, ?, NULL, 'starting')
            ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, hostname = excluded.hostname,
              version = excluded.version, started_at = excluded.started_at,
              heartbeat_at = excluded.heartbeat_at, stopped_at = NULL, status = 'starting'
            """,
            [.integer(Int64(pid)), .text(hostname), .text(version), .text(now), .text(now)]
        )
    }

    /// Adds one record: the counts to their minute, the new error, the heartbeat; drops what is too old to show.
    static func record(_ record: ActivityRecord, on connection: SQLiteConnection) throws {
        let minute = minute(record.at)
        let now = Timestamp.rfc3339(record.at)
        for counts in record.counts {
            try connection.run(
                """
                INSERT INTO watcher_activity (minute, merchant_id, api, requests, throttled, failures)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (minute, merchant_id, api) DO UPDATE SET requests = requests + excluded.requests,
                  throttled = throttled + excluded.throttled, failures = failures + excluded.failures
                """,
                [
                    .text(minute), .text(counts.merchantID), .text(counts.resource), .integer(Int64(counts.requests)),
                    .integer(Int64(counts.throttled)), .integer(Int64(counts.failures)),
                ]
            )
        }
        if let error = record.newError {
            try connection.run(
                "INSERT INTO watcher_events (at, level, event, merchant_id, message) VALUES (?, 'error', 'last_error', NULL, ?)",
                [.text(now), .text(error)]
            )
            try connection.run(
                "DELETE FROM watcher_events WHERE id <= (SELECT max(id) - ? FROM watcher_events)",
                [.integer(Int64(eventsKept))])
        }
        if let status = record.status {
            try connection.run(
                "UPDATE watcher_process SET heartbeat_at = ?, status = ?, stopped_at = ? WHERE id = 1",
                [.text(now), .text(status), record.isFinal ? .text(now) : .null]
            )
        }
        try connection.run(
            "DELETE FROM watcher_activity WHERE minute < ?",
            [.text(Timestamp.rfc3339(record.at.addingTimeInterval(-activityKept)))])
    }

    /// Requests per merchant and API over the `windowMinutes` minutes before `now`.
    static func rates(windowMinutes: Int, now: Date, on connection: SQLiteConnection) throws -> [StatusReport.Rate] {
        let since = minute(now.addingTimeInterval(Double(-60 * windowMinutes)))
        return try connection.query(
            """
            SELECT merchant_id, api, sum(requests) AS requests, sum(throttled) AS throttled,
              sum(failures) AS failures
            FROM watcher_activity WHERE minute >= ? GROUP BY merchant_id, api ORDER BY merchant_id, api
            """,
            [.text(since)]
        ).map { row in
            let requests = Int(row["requests"].int64Value ?? 0)
            return StatusReport.Rate(
                merchantID: row["merchant_id"].stringValue ?? "",
                resource: row["api"].stringValue ?? "",
                requests: requests,
                throttled: Int(row["throttled"].int64Value ?? 0),
                failures: Int(row["failures"].int64Value ?? 0),
                requestsPerSecond: (Double(requests) / Double(60 * windowMinutes) * 100).rounded() / 100
            )
        }
    }

    /// The daemon's latest errors, newest first.
    static func recentErrors(limit: Int, on connection: SQLiteConnection) throws -> [StatusReport.RecentError] {
        try connection.query(
            "SELECT at, message FROM watcher_events ORDER BY id DESC LIMIT ?",
            [
                .integer(Int64(limit))
            ]
        ).map { row in
            StatusReport.RecentError(
                at: row["at"].stringValue ?? "", subject: "daemon", message: row["message"].stringValue ?? "")
        }
    }

    /// The process row, if a daemon ever ran on this database.
    static func process(on connection: SQLiteConnection) throws -> StatusReport.Process? {
        guard
            let row = try connection.query(
                "SELECT pid, hostname, version, started_at, heartbeat_at, stopped_at, status FROM watcher_process WHERE id = 1"
            ).first
        else { return nil }
        return StatusReport.Process(
            pid: Int(row["pid"].int64Value ?? 0),
            hostname: row["hostname"].stringValue ?? "",
            version: row["version"].stringValue ?? "",
            startedAt: row["started_at"].stringValue ?? "",
            heartbeatAt: row["heartbeat_at"].stringValue ?? "",
            stoppedAt: row["stopped_at"].stringValue,
            status: row["status"].stringValue
        )
    }
}

extension WatchStore {
    /// Records that this process (pid, machine, version) has started on the database.
    package func recordStart(pid: Int32, hostname: String, version: String, at: Date) async throws {
        try await performWrite {
            try ActivityTables.recordStart(pid: pid, hostname: hostname, version: version, at: at, on: $0)
        }
    }

    /// The record of the last daemon that ran on the database, if any.
    package func lastProcess() async throws -> StatusReport.Process? {
        try await performRead { try ActivityTables.process(on: $0) }
    }

    /// Writes one activity record in one transaction.
    package func record(_ record: ActivityRecord) async throws {
        try await performWrite { connection in
            try connection.transaction { try ActivityTables.record(record, on: connection) }
        }
    }
}
