import Foundation
import WatcherLog
import WatcherSQLite
import WatcherServices
import WatcherStore

/// Who is running, for the `watcher_process` row that `status` and a second instance read.
package struct ProcessIdentity: Sendable, Equatable {
    /// The process id.
    package var pid: Int32
    /// The machine.
    package var hostname: String
    /// The program version.
    package var version: String

    /// Creates an identity.
    package init(pid: Int32, hostname: String, version: String) {
        self.pid = pid
        self.hostname = hostname
        self.version = version
    }
}

/// Persists what only the running process knows — requests, throttling, the status line — so that `status`,
/// run from another process, can show rates and recent trouble; and logs a summary per lane every minute.
package actor ActivityRecorder: Service {
    private let store: WatchStore
    private let statistics: EngineStatistics
    private let clock: any WatcherClock
    private let logger: Logger
    private let identity: ProcessIdentity?
    private let interval: Double
    private let summaryInterval: Double
    private var previous: StatisticsSnapshot?
    private var previousSummary: StatisticsSnapshot?
    private var lastError: String?
    private var stopping = false
    nonisolated let wakeup = Wakeup()

    package init(
        store: WatchStore,
        statistics: EngineStatistics,
        clock: any WatcherClock,
        logger: Logger,
        identity: ProcessIdentity?,
        interval: Double = 5,
        summaryInterval: Double = 60
    ) {
        self.store = store
        self.statistics = statistics
        self.clock = clock
        self.logger = logger
        self.identity = identity
        self.interval = interval
        self.summaryInterval = summaryInterval
    }

    package func stop() {
        stopping = true
        wakeup.signal()
    }

    package func run() async {
        await started()
        while !stopping {
            await wakeup.wait(until: clock.monotonicNow() + interval, clock: clock)
            if stopping { break }
            await record(final: false)
        }
        // Also when the stop came during a record: the clean stop is always written.
        await record(final: true)
    }

    private func started() async {
        previous = statistics.snapshot(at: clock.monotonicNow(), wallNow: clock.wallNow())
        previousSummary = previous
        guard let identity else { return }
        let now = Timestamp.rfc3339(clock.wallNow())
        await write { connection in
            try connection.run(
                """
                INSERT INTO watcher_process (id, pid, hostname, version, started_at, heartbeat_at, stopped_at, status)
                VALUES (1, ?, ?, ?, ?, ?, NULL, 'starting')
                ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, hostname = excluded.hostname,
                  version = excluded.version, started_at = excluded.started_at,
                  heartbeat_at = excluded.heartbeat_at, stopped_at = NULL, status = 'starting'
                """,
                [
                    .integer(Int64(identity.pid)), .text(identity.hostname), .text(identity.version), .text(now),
                    .text(now),
                ]
            )
        }
    }

    private func record(final: Bool) async {
        let snapshot = statistics.snapshot(at: clock.monotonicNow(), wallNow: clock.wallNow())
        let wall = clock.wallNow()
        let minute = String(Timestamp.rfc3339(wall).prefix(16)) + "Z"
        let deltas = Self.deltas(from: previous, to: snapshot)
        previous = snapshot
        let status = StatusLine.make(snapshot)
        let now = Timestamp.rfc3339(wall)
        let error = snapshot.lastError != lastError ? snapshot.lastError : nil
        lastError = snapshot.lastError
        let hasIdentity = identity != nil
        await write { connection in
            for (lane, delta) in deltas where delta.requests > 0 || delta.throttled > 0 || delta.failures > 0 {
                try connection.run(
                    """
                    INSERT INTO watcher_activity (minute, merchant_id, api, requests, throttled, failures)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (minute, merchant_id, api) DO UPDATE SET requests = requests + excluded.requests,
                      throttled = throttled + excluded.throttled, failures = failures + excluded.failures
                    """,
                    [
                        .text(minute), .text(lane.merchant), .text(lane.resource), .integer(Int64(delta.requests)),
                        .integer(Int64(delta.throttled)), .integer(Int64(delta.failures)),
                    ]
                )
            }
            if let error {
                try connection.run(
                    "INSERT INTO watcher_events (at, level, event, merchant_id, message) VALUES (?, 'error', 'last_error', NULL, ?)",
                    [.text(now), .text(error)]
                )
                try connection.run("DELETE FROM watcher_events WHERE id <= (SELECT max(id) - 200 FROM watcher_events)")
            }
            if hasIdentity {
                try connection.run(
                    "UPDATE watcher_process SET heartbeat_at = ?, status = ?, stopped_at = ? WHERE id = 1",
                    [.text(now), .text(status), final ? .text(now) : .null]
                )
            }
            try connection.run(
                "DELETE FROM watcher_activity WHERE minute < ?",
                [.text(Timestamp.rfc3339(wall.addingTimeInterval(-2 * 86_400)))])
        }
        if let previousSummary, snapshot.at - previousSummary.at >= summaryInterval || final {
            logSummary(from: previousSummary, to: snapshot)
            self.previousSummary = snapshot
        }
    }

    private func write(_ body: @escaping @Sendable (SQLiteConnection) throws -> Void) async {
        do {
            try await store.write(body)
        } catch {
            logger.debug("activity.not_recorded", ["error": .string(String(describing: error))])
        }
    }

    private func logSummary(from start: StatisticsSnapshot, to end: StatisticsSnapshot) {
        let seconds = max(end.at - start.at, 0.001)
        for (lane, counters) in end.lanes.sorted(by: { $0.key < $1.key }) {
            let before = start.lanes[lane] ?? LaneCounters()
            let requests = counters.requests - before.requests
            logger.info(
                "summary",
                [
                    "merchant": .string(lane.merchant), "resource": .string(lane.resource),
                    "requests": .int(requests), "rate": .double((Double(requests) / seconds).rounded(toPlaces: 2)),
                    "throttled": .int(counters.throttled - before.throttled),
                    "transitions": .int(counters.transitions - before.transitions),
                    "pending": .int(counters.pending),
                    "oldest_pending_seconds": .int(Int(counters.oldestPendingAge ?? 0)),
                ]
            )
        }
    }

    struct Delta {
        var requests = 0
        var throttled = 0
        var failures = 0
    }

    static func deltas(from previous: StatisticsSnapshot?, to current: StatisticsSnapshot) -> [LaneKey: Delta] {
        var deltas: [LaneKey: Delta] = [:]
        for (lane, counters) in current.lanes {
            let before = previous?.lanes[lane] ?? LaneCounters()
            let failures = counters.transportFailures + counters.verificationFailures + counters.anomalies
            let failuresBefore = before.transportFailures + before.verificationFailures + before.anomalies
            deltas[lane] = Delta(
                requests: counters.requests - before.requests,
                throttled: counters.throttled - before.throttled,
                failures: failures - failuresBefore
            )
        }
        return deltas
    }
}

/// The one-line summary used for `STATUS=`, the process row and the demo's progress.
package enum StatusLine {
    /// `pending=12 oldest_pending_seconds=75 requests=340 throttled=0 verification_failures=0 last_error=…`.
    package static func make(_ snapshot: StatisticsSnapshot) -> String {
        let pending = snapshot.lanes.values.reduce(0) { $0 + $1.pending }
        var line = "pending=\(pending) oldest_pending_seconds=\(Int(snapshot.oldestPendingAge))"
        line += " requests=\(snapshot.total(\.requests)) throttled=\(snapshot.total(\.throttled))"
        line += " verification_failures=\(snapshot.total(\.verificationFailures))"
        if let error = snapshot.lastError { line += " last_error=\(error.prefix(120))" }
        return line
    }
}
