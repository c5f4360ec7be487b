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
/// - **Known ages first.** A row older than every completion its model has seen may be slow or lost: it yields to
///   rows of known ages, placed up to a few seconds later than the minimum interval, the further it outlived that
///   completion and the more polls found such rows unfinished (``CompletionModel/yielding(atAge:)``), but may be
///   polled from the minimum interval on when no row is due. So it takes no token a row of a known age wants, and
///   every token no such row wants.
/// - **Behind a deep backlog.** When polling every watched row once takes at least ``Settings/deepBacklog`` times a
///   row's wait to enter play, the row will be overdue when it gets there anyway; it is placed as the sweep places it,
///   so overdue rows go in the order they were last polled, not in the order their cohorts enter play (after a burst
///   of new rows, a cohort that enters play later would otherwise wait behind every row of the earlier one).
/// - **First polls when they can tell.** A new row too young to have finished is due when it enters play, and
///   from its first sight it may take any token no due row wants: on an idle lane its first poll leaves at once,
///   and on a busy one it no longer takes a token from a row that may have finished, for an answer its model says
///   is still unfinished; the poll it gets then is the one the row would have had on entering play, so each such row
///   costs a poll less. Behind a deep backlog, and until the model is trusted, a new row goes first, before every
///   re-poll.
/// - **Before it knows.** Until a cohort has enough completions, the lane's pooled model; until that has enough,
///   the sweep's one minimum interval.
package final class BudgetScheduler: PollScheduler {
    /// The tuning.
    package struct Settings: Sendable, Equatable {
        /// The shortest interval between two polls of a row.
        package var minimumInterval: Double = 1
        /// The longest interval between two polls of a row.
        package var maximumInterval: Double = 60
        /// Completions a cohort needs before its own model is trusted; until then the lane's pooled model, and
        /// until that has enough, the minimum interval. Few: the young edge of few completions is late, but a
        /// second cohort judged by the first one's completions is wrong in both directions for longer.
        package var minimumSamples: Int = 3
        /// How many times a row's wait to enter play the lane's backlog (rows watched ÷ the budget per second) must
        /// be before the row is placed as the sweep places it: the backlog counts rows out of play too, so it
        /// overstates the wait for a turn, and a lane kept saturated by arrivals stays well under this.
        package var deepBacklog: Double = 3

        /// The defaults.
        package init() {}
    }

    private struct LaneState {
        var pooled = CompletionModel()
        var cohorts: [String: CompletionModel] = [:]
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
        placement(context).dueAt
    }

    /// When to poll the row again and how much earlier it may be; see ``PollScheduler``.
    package func placement(_ context: ScheduleContext) -> Placement {
        let range = intervals
        let swept = Placement(dueAt: context.now + range.lowerBound)
        return withTrustedModel(for: context) { model in
            var interval = model.interval(fromAge: context.age, within: range)
            if interval > range.lowerBound, isBehindDeepBacklog(context, wait: interval) { interval = range.lowerBound }
            let yielding = model.yielding(atAge: context.age + interval)
            return Placement(dueAt: context.now + interval + yielding, earlyBy: yielding)
        } ?? swept
    }

    /// Where a row never polled goes: due when it enters play, free to take any token no due row wants from now on;
    /// nil (at once, before every re-poll) when it is in play already, behind a deep backlog, or before the model
    /// is trusted. See ``PollScheduler``.
    package func firstPlacement(_ context: ScheduleContext) -> Placement? {
        let range = intervals
        return withTrustedModel(for: context) { model in
            let wait = model.waitToEnterPlay(fromAge: context.age, within: range)
            guard wait > 0, !isBehindDeepBacklog(context, wait: wait) else { return nil }
            return Placement(dueAt: context.now + wait, earlyBy: wait)
        } ?? nil
    }

    private var intervals: ClosedRange<Double> {
        settings.minimumInterval...max(settings.minimumInterval, settings.maximumInterval)
    }

    /// Whether polling every watched row once takes at least ``Settings/deepBacklog`` times `wait`: the row will be
    /// overdue when its turn comes anyway.
    private func isBehindDeepBacklog(_ context: ScheduleContext, wait: Double) -> Bool {
        Double(context.pendingInLane) / max(context.ratePerSecond, 1) >= settings.deepBacklog * wait
    }

    /// `body` with the model that judges the context's row (its cohort's, else the lane's pooled one), or nil
    /// while neither has enough completions.
    private func withTrustedModel<Result>(
        for context: ScheduleContext, _ body: (inout CompletionModel) -> Result
    ) -> Result? {
        let key = context.row.merchantID + "/" + context.resource
        return lanes.withLock { lanes -> Result? in
            guard var lane = lanes[key] else { return nil }
            defer { lanes[key] = lane }
            var model = lane.pooled
            var isOwn = false
            if let cohort = lane.cohorts[context.cohort], cohort.sampleCount >= settings.minimumSamples {
                (model, isOwn) = (cohort, true)
            }
            guard model.sampleCount >= settings.minimumSamples else { return nil }
            // The model caches what it derives from its samples: keep the cache.
            defer { if isOwn { lane.cohorts[context.cohort] = model } else { lane.pooled = model } }
            return body(&model)
        }
    }

    /// Learns a completion; see ``PollScheduler``.
    package func recordCompletion(
        merchant: String, resource: String, cohort: String, age: Double, unfinishedAtAge: Double?
    ) {
        lanes.withLock { lanes in
            var lane = lanes[merchant + "/" + resource, default: LaneState()]
            lane.pooled.record(age: age, unfinishedAtAge: unfinishedAtAge)
            lane.cohorts[cohort, default: CompletionModel()].record(age: age, unfinishedAtAge: unfinishedAtAge)
            lanes[merchant + "/" + resource] = lane
        }
    }
}
