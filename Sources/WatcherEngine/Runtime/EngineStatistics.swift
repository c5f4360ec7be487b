import Foundation
import Synchronization
import WatcherSync

/// Identifies a lane: one merchant and one resource kind (one API, one rate-limit bucket).
public struct LaneKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The merchant id.
    public var merchant: String
    /// The resource kind, e.g. `image_generation_task`.
    public var resource: String

    /// Creates a key.
    public init(merchant: String, resource: String) {
        self.merchant = merchant
        self.resource = resource
    }

    /// Orders keys by merchant, then resource.
    public static func < (lhs: LaneKey, rhs: LaneKey) -> Bool {
        (lhs.merchant, lhs.resource) < (rhs.merchant, rhs.resource)
    }

    /// A human-readable account, for logs and error messages.
    public var description: String { "\(merchant)/\(resource)" }
}

/// Running totals for one lane. Totals only grow; rates come from the difference of two snapshots.
public struct LaneCounters: Sendable, Equatable {
    /// Requests sent.
    public var requests = 0
    /// Outcomes by label: an HTTP status (`"200"`, `"429"`) or a failure kind (`"timeout"`).
    public var outcomes: [String: Int] = [:]
    /// 429 answers.
    public var throttled = 0
    /// 2xx answers that failed verification.
    public var verificationFailures = 0
    /// Verified answers that could not be right.
    public var anomalies = 0
    /// Requests without an answer.
    public var transportFailures = 0
    /// State changes committed.
    public var transitions = 0
    /// The limiter's current rate (requests per second).
    public var rate: Double = 0
    /// Rows still watched, as last counted.
    public var pending = 0
    /// `created_at` (unix seconds) of the oldest row still watched, as last counted.
    public var oldestPendingCreatedAt: Double?
    /// Age in seconds of the oldest row still watched, at the moment of the snapshot; nil when none is.
    public var oldestPendingAge: Double?

    /// Empty counters.
    public init() {}
}

/// A copy of all counters at one moment.
public struct StatisticsSnapshot: Sendable, Equatable {
    /// Monotonic seconds when taken.
    public var at: Double
    /// Per-lane counters.
    public var lanes: [LaneKey: LaneCounters]
    /// Committed transitions by resource and new state.
    public var transitions: [String: [String: Int]]
    /// The most recent error worth showing an operator, with its wall-clock time.
    public var lastError: String?

    /// The age of the oldest row still watched in any lane, in seconds; 0 when none is.
    public var oldestPendingAge: Double { lanes.values.compactMap(\.oldestPendingAge).max() ?? 0 }

    /// Sum of a counter over all lanes.
    public func total(_ counter: KeyPath<LaneCounters, Int>) -> Int {
        lanes.values.reduce(0) { $0 + $1[keyPath: counter] }
    }
}

/// The engine's counters, shared by lanes, writer and reporters.
public final class EngineStatistics: Sendable {
    private struct State {
        var lanes: [LaneKey: LaneCounters] = [:]
        var transitions: [String: [String: Int]] = [:]
        var lastError: String?
    }

    private let state = Locked(State())
    private let progress = Atomic<UInt64>(0)

    /// Creates empty statistics.
    public init() {}

    /// Advances each time the intake loop completes a round (reading the database, admitting rows, handing
    /// them to lanes). A watchdog pings systemd only while this moves, so a stuck loop lets it fire.
    public var progressMark: UInt64 { progress.load(ordering: .relaxed) }

    package func markProgress() {
        progress.add(1, ordering: .relaxed)
    }

    package func update(_ lane: LaneKey, _ body: (inout LaneCounters) -> Void) {
        state.withLock { body(&$0.lanes[lane, default: LaneCounters()]) }
    }

    package func recordTransition(resource: String, merchant: String, to state: String) {
        self.state.withLock {
            $0.transitions[resource, default: [:]][state, default: 0] += 1
            $0.lanes[LaneKey(merchant: merchant, resource: resource), default: LaneCounters()].transitions += 1
        }
    }

    package func recordError(_ message: String) {
        state.withLock { $0.lastError = message }
    }

    /// The counters now: `now` in monotonic seconds, `wallNow` to age the oldest pending rows by, so the age keeps
    /// growing between counts (and while a paused merchant's lane counts nothing).
    public func snapshot(at now: Double, wallNow: Date) -> StatisticsSnapshot {
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
