import Foundation
import WatcherLog
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
        let now = clock.wallNow()
        await write { store in
            try await store.recordStart(
                pid: identity.pid, hostname: identity.hostname, version: identity.version, at: now)
        }
    }

    private func record(final: Bool) async {
        let snapshot = statistics.snapshot(at: clock.monotonicNow(), wallNow: clock.wallNow())
        let deltas = Self.deltas(from: previous, to: snapshot)
        previous = snapshot
        let error = snapshot.lastError != lastError ? snapshot.lastError : nil
        lastError = snapshot.lastError
        let record = ActivityRecord(
            at: clock.wallNow(),
            counts: deltas.sorted { $0.key < $1.key }.compactMap { lane, delta in
                guard delta.requests > 0 || delta.throttled > 0 || delta.failures > 0 else { return nil }
                return ActivityCounts(
                    merchantID: lane.merchant, resource: lane.resource, requests: delta.requests,
                    throttled: delta.throttled, failures: delta.failures)
            },
            newError: error,
            status: identity == nil ? nil : StatusLine.make(snapshot),
            isFinal: final
        )
        await write { store in try await store.record(record) }
        if let previousSummary, snapshot.at - previousSummary.at >= summaryInterval || final {
            logSummary(from: previousSummary, to: snapshot)
            self.previousSummary = snapshot
        }
    }

    private func write(_ body: (WatchStore) async throws -> Void) async {
        do {
            try await body(store)
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
