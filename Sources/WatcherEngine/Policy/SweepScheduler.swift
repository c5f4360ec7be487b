import Foundation

/// The naive baseline every smarter scheduler must beat: always poll the least recently polled unfinished row,
/// never one polled less than the minimum interval ago.
///
/// The engine serves due rows in order of their next poll time, so placing every row exactly the minimum interval
/// after its last answer makes that order the order of last polls: under backlog the lane cycles through its rows
/// least recently polled first, and with budget to spare every row is polled once per minimum interval.
package struct SweepScheduler: PollScheduler {
    /// The shortest interval between two polls of a row.
    package var minimumInterval: Double

    /// Creates the sweep.
    package init(minimumInterval: Double = 1) {
        self.minimumInterval = minimumInterval
    }

    /// A short name for logs and the benchmark table.
    package var name: String { "sweep" }

    /// When to poll the row again; see ``PollScheduler``.
    package func nextPollTime(_ context: ScheduleContext) -> Double {
        context.now + minimumInterval
    }
}
