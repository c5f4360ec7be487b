import Foundation
import WatcherStore

/// What a scheduler knows when it places a row's next poll.
package struct ScheduleContext: Sendable, Equatable {
    /// Wall-clock unix seconds now.
    package var now: Double
    /// The row as it was before this answer.
    package var row: QueuedRow
    /// The row's cohort (see ``ResourceKind/cohort(of:)``).
    package var cohort: String
    /// Rows of this merchant and kind still being watched.
    package var pendingInLane: Int
    /// The lane's current budget in requests per second.
    package var ratePerSecond: Double
    /// The resource (``ResourceKind/resource``): schedulers that learn keep one model per merchant and resource.
    package var resource: String
    /// The share of the lane's budget used in the last second, 0…1.
    package var utilisation: Double
    /// How long after its due time this poll was sent, in seconds: a lane whose polls run late is saturated.
    package var lateness: Double

    /// Creates a context.
    package init(
        now: Double, row: QueuedRow, cohort: String, pendingInLane: Int, ratePerSecond: Double,
        resource: String = "", utilisation: Double = 0, lateness: Double = 0
    ) {
        self.now = now
        self.row = row
        self.cohort = cohort
        self.pendingInLane = pendingInLane
        self.ratePerSecond = ratePerSecond
        self.resource = resource
        self.utilisation = utilisation
        self.lateness = lateness
    }

    /// Seconds since the row's clock started (creation, or first sight).
    package var age: Double { now - (row.startedAt ?? now) }
}

/// Where a scheduler puts a row after an answer: when it is due, and how much earlier it may take a token that no
/// due row wants.
package struct Placement: Sendable, Equatable {
    /// Wall-clock unix seconds at which the row is due: its place in the lane's order.
    package var dueAt: Double
    /// Seconds before ``dueAt`` from which the row may be polled when no row is due, so a row placed late to give
    /// way to others never leaves a token unused.
    package var earlyBy: Double

    /// Creates a placement.
    package init(dueAt: Double, earlyBy: Double = 0) {
        self.dueAt = dueAt
        self.earlyBy = earlyBy
    }
}

/// Decides when a row that is still unfinished is polled again. The engine spends tokens on due rows in order
/// of their next poll time, so a scheduler expresses priorities by placing rows in time.
package protocol PollScheduler: Sendable {
    /// A name for logs and the benchmark table.
    var name: String { get }
    /// Wall-clock unix seconds at which to poll the row again after an answer that did not finish it.
    func nextPollTime(_ context: ScheduleContext) -> Double
    /// Where to place the row after an answer that did not finish it: ``nextPollTime(_:)``, and how much earlier
    /// it may take a token no due row wants.
    func placement(_ context: ScheduleContext) -> Placement
    /// Where to place a row never polled, or nil to poll it at once, before every re-poll. The context's row is
    /// the new row (no poll yet) and its pending count includes the rows arriving with it.
    func firstPlacement(_ context: ScheduleContext) -> Placement?
    /// Learns that a row of `cohort` was seen finished `age` seconds after its clock started, having been seen
    /// unfinished at `unfinishedAtAge` (nil: its first poll found it finished): it finished in between.
    func recordCompletion(merchant: String, resource: String, cohort: String, age: Double, unfinishedAtAge: Double?)
}

extension PollScheduler {
    /// Schedulers that place no row early place it at its next poll time.
    package func placement(_ context: ScheduleContext) -> Placement {
        Placement(dueAt: nextPollTime(context))
    }

    /// Schedulers that know nothing of completion ages poll a new row at once.
    package func firstPlacement(_ context: ScheduleContext) -> Placement? { nil }

    /// Schedulers that do not learn ignore completions.
    package func recordCompletion(
        merchant: String, resource: String, cohort: String, age: Double, unfinishedAtAge: Double?
    ) {}

    /// Learns a completion whose row was never seen unfinished.
    package func recordCompletion(merchant: String, resource: String, cohort: String, age: Double) {
        recordCompletion(merchant: merchant, resource: resource, cohort: cohort, age: age, unfinishedAtAge: nil)
    }
}

/// The usual long-running-operation schedule: 1 s after the first answer, then ×1.5, at most 20 s apart. One of the
/// benchmark's baselines.
package struct ExponentialScheduler: PollScheduler {
    /// The first interval.
    package var initialInterval: Double
    /// The growth factor per poll.
    package var multiplier: Double
    /// The cap on the interval.
    package var maximumInterval: Double

    /// Creates the schedule; the defaults are Google's.
    package init(initialInterval: Double = 1, multiplier: Double = 1.5, maximumInterval: Double = 20) {
        self.initialInterval = initialInterval
        self.multiplier = multiplier
        self.maximumInterval = maximumInterval
    }

    /// A short name for logs and the benchmark table.
    package var name: String { "exponential" }

    /// When to poll the row again; see ``PollScheduler``.
    package func nextPollTime(_ context: ScheduleContext) -> Double {
        let exponent = Double(max(0, context.row.pollCount))
        let interval = min(maximumInterval, initialInterval * pow(multiplier, exponent))
        return context.now + interval
    }
}

/// The cron-style baseline: every row polled again a fixed time after its last answer.
package struct FixedIntervalScheduler: PollScheduler {
    /// Seconds between polls of one row.
    package var interval: Double

    /// Creates the schedule.
    package init(interval: Double = 30) {
        self.interval = interval
    }

    /// A short name for logs and the benchmark table.
    package var name: String { "fixed-\(Int(interval))s" }

    /// When to poll the row again; see ``PollScheduler``.
    package func nextPollTime(_ context: ScheduleContext) -> Double {
        context.now + interval
    }
}
