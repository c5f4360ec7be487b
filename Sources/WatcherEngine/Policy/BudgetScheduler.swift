import Foundation
import WatcherSync

/// The default scheduler: a sweep that skips the rows that cannot have finished.
///
/// - **Skip what cannot have finished.** Completions teach a ``CompletionModel`` per merchant, resource and cohort
///   (e.g. image generation type): the ages at which its rows are *in play*. A row in play is due again one
///   minimum interval after its answer, as in the sweep; a row out of play (too young, or in a gap between a fast
///   and a slow group) is due when it enters play, at most the maximum interval later. The lane spends every token
///   on the due row due first, so the tokens the sweep spends on rows that cannot have finished go to those that
///   may have.
/// - **Known ages first.** A row older than every completion its model has seen may be slow or lost; while the
///   lane is busy and rows of known ages are in play, it is polled again only after a tenth of the time by which it
///   outlived that completion (``CompletionModel/pastOldestSpacing``), so it does not take their tokens.
/// - **Before it knows.** Until a cohort has enough completions, the lane's pooled model; until that has enough,
///   the sweep's one minimum interval.
///
/// Rows never polled are not this type's business: the intake makes them due before every other row.
package final class BudgetScheduler: PollScheduler {
    /// The tuning.
    package struct Settings: Sendable, Equatable {
        /// The shortest interval between two polls of a row.
        package var minimumInterval: Double = 1
        /// The longest interval between two polls of a row.
        package var maximumInterval: Double = 60
        /// Completions a cohort needs before its own model is trusted; until then the lane's pooled model, and
        /// until that has enough, the minimum interval.
        package var minimumSamples: Int = 5
        /// The share of the lane's budget in use above which the lane counts as busy (see ``CompletionModel``).
        package var busyUtilisation = 0.9

        /// The defaults.
        package init() {}
    }

    private struct LaneState {
        var pooled = CompletionModel()
        var cohorts: [String: CompletionModel] = [:]
        /// When a row of an age its model knows was last placed: rows in play are placed once per minimum
        /// interval, so a later placement within one means such rows are still competing for the tokens.
        var lastKnownPlacedAt = -Double.infinity
    }

    /// The tuning in use.
    package let settings: Settings
    private let lanes = Locked([String: LaneState]())

    /// Creates the scheduler.
    package init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// A short name for logs and the benchmark table.
    package var name: String { "budget" }

    /// When to poll the row again; see ``PollScheduler``.
    package func nextPollTime(_ context: ScheduleContext) -> Double {
        let range = settings.minimumInterval...max(settings.minimumInterval, settings.maximumInterval)
        let key = context.row.merchantID + "/" + context.resource
        let isBusy = context.utilisation >= settings.busyUtilisation
        let interval = lanes.withLock { lanes -> Double in
            guard var lane = lanes[key] else { return range.lowerBound }
            defer { lanes[key] = lane }
            var model = lane.pooled
            var isOwn = false
            if let cohort = lane.cohorts[context.cohort], cohort.sampleCount >= settings.minimumSamples {
                (model, isOwn) = (cohort, true)
            }
            guard model.sampleCount >= settings.minimumSamples else { return range.lowerBound }
            // The model caches what it derives from its samples: keep the cache.
            defer { if isOwn { lane.cohorts[context.cohort] = model } else { lane.pooled = model } }
            if model.knows(age: context.age + range.lowerBound) {
                lane.lastKnownPlacedAt = context.now
                return model.interval(fromAge: context.age, within: range)
            }
            let competing = isBusy && context.now - lane.lastKnownPlacedAt < range.lowerBound
            return model.interval(fromAge: context.age, within: range, yielding: competing)
        }
        return context.now + interval
    }

    /// Learns a completion; see ``PollScheduler``.
    package func recordCompletion(merchant: String, resource: String, cohort: String, age: Double) {
        lanes.withLock { lanes in
            var lane = lanes[merchant + "/" + resource, default: LaneState()]
            lane.pooled.record(age: age)
            lane.cohorts[cohort, default: CompletionModel()].record(age: age)
            lanes[merchant + "/" + resource] = lane
        }
    }
}
