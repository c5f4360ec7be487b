import Foundation
import Synchronization
import WatcherSync

/// Identifies a lane: one merchant and one resource kind (one API, one rate-limit bucket).
package struct LaneKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The merchant id.
    package var merchant: String
    /// The resource kind, e.g. `image_generation_task`.
    package var resource: String

    /// Creates a key.
    package init(merchant: String, resource: String) {
        self.merchant = merchant
        self.resource = resource
    }

    /// Orders keys by merchant, then resource.
    package static func < (lhs: LaneKey, rhs: LaneKey) -> Bool {
        (lhs.merchant, lhs.resource) < (rhs.merchant, rhs.resource)
    }

    /// A human-readable account, for logs and error messages.
    package var description: String { "\(merchant)/\(resource)" }
}

/// Running totals for one lane. Totals only grow; rates come from the difference of two snapshots.
package struct LaneCounters: Sendable, Equatable {
    /// Requests sent.
    package var requests = 0
    /// Outcomes by label: an HTTP status (`"200"`, `"429"`) or a failure kind (`"timeout"`).
    package var outcomes: [String: Int] = [:]
    /// 429 answers.
    package var throttled = 0
    /// 2xx answers that failed verification.
    package var verificationFailures = 0
    /// Verified answers that could not be right.
    package var anomalies = 0
    /// Requests without an answer.
    package var transportFailures = 0
    /// State changes committed.
    package var transitions = 0
    /// The limiter's current rate (requests per second).
    package var rate: Double = 0
    /// Rows still watched, as last counted.
    package var pending = 0
    /// `created_at` (unix seconds) of the oldest row still watched, as last counted.
    package var oldestPendingCreatedAt: Double?
    /// Age in seconds of the oldest row still watched, at the moment of the snapshot; nil when none is.
    package var oldestPendingAge: Double?

    /// Empty counters.
    package init() {}
}

/// A copy of all counters at one moment.
package struct StatisticsSnapshot: Sendable, Equatable {
    /// Monotonic seconds when taken.
    package var at: Double
    /// Per-lane counters.
    package var lanes: [LaneKey: LaneCounters]
    /// Committed transitions by resource and new state.
    package var transitions: [String: [String: Int]]
    /// The most recent error worth showing an operator, with its wall-clock time.
    package var lastError: String?

    /// The age of the oldest row still watched in any lane, in seconds; 0 when none is.
    package var oldestPendingAge: Double { lanes.values.compactMap(\.oldestPendingAge).max() ?? 0 }

    /// Sum of a counter over all lanes.
    package func total(_ counter: KeyPath<LaneCounters, Int>) -> Int {
        lanes.values.reduce(0) { $0 + $1[keyPath: counter] }
    }
}

/// The engine's counters, shared by lanes, writer and reporters.
package final class EngineStatistics: Sendable {
    private struct State {
        var lanes: [LaneKey: LaneCounters] = [:]
        var transitions: [String: [String: Int]] = [:]
        var lastError: String?
    }

    private let state = Locked(State())
    private let progress = Atomic<UInt64>(0)

    /// Creates empty statistics.
    package init() {}

    /// Advances each time the intake loop completes a round (reading the database, admitting rows, handing
    /// them to lanes). A watchdog pings systemd only while this moves, so a stuck loop lets it fire.
    package var progressMark: UInt64 { progress.load(ordering: .relaxed) }

    package func markProgress() {
        progress.add(1, ordering: .relaxed)
    }

    package func update(_ lane: LaneKey, _ body: (inout LaneCounters) -> Void) {
        state.withLock { body(&$0.lanes[lane, default: LaneCounters()]) }
    }

    /// Counts a transition, also in its lane's counters when the merchant has a lane: a row of a merchant missing
    /// from the configuration (rejected at intake) must not add a lane to the metrics and the summaries.
    package func recordTransition(resource: String, merchant: String, to state: String) {
        self.state.withLock {
            $0.transitions[resource, default: [:]][state, default: 0] += 1
            $0.lanes[LaneKey(merchant: merchant, resource: resource)]?.transitions += 1
        }
    }

    /// Gives each lane its counters from the start, so the metrics show every configured lane at once.
    package func register(_ lanes: some Sequence<LaneKey>) {
        state.withLock { state in
            for lane in lanes where state.lanes[lane] == nil { state.lanes[lane] = LaneCounters() }
        }
    }

    package func recordError(_ message: String) {
        state.withLock { $0.lastError = message }
    }

    /// The counters now: `now` in monotonic seconds, `wallNow` to age the oldest pending rows by, so the age keeps
    /// growing between counts (and while a paused merchant's lane counts nothing).
    package func snapshot(at now: Double, wallNow: Date) -> StatisticsSnapshot {
        var snapshot = state.withLock {
            StatisticsSnapshot(at: now, lanes: $0.lanes, transitions: $0.transitions, lastError: $0.lastError)
        }
        let wall = wallNow.timeIntervalSince1970
        for (lane, counters) in snapshot.lanes {
            snapshot.lanes[lane]?.oldestPendingAge = counters.oldestPendingCreatedAt.map { max(0, wall - $0) }
        }
        return snapshot
    }
}
