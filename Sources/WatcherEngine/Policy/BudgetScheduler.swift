import Foundation
import WatcherSync

/// The default scheduler: spends the lane's budget where a poll is most likely to reveal news.
///
/// - **Budget.** With `n` rows pending and a rate of `r` requests per second, polling every row every `n / r`
///   seconds would use the whole budget. That *fair interval* scales every decision: the more rows pending, the
///   sparser the polls.
/// - **Learning.** Completions teach a ``CompletionModel`` per merchant, resource and cohort (e.g. image
///   generation type). Once a cohort has enough of them, a row is polled again when the accumulated √hazard since
///   its last poll reaches a threshold: densely at ages where rows of its cohort usually finish, sparsely where
///   they practically never do (very young rows, the long tail).
/// - **Feedback.** The threshold of each lane follows the lane's utilisation: it falls while budget is left over
///   and rises while polls run late, so the lane spends what it has without building a queue.
/// - **Bounds.** Never sooner than the minimum interval (the ``AnswerPolicy`` also enforces it), never later than
///   the maximum, so no row starves; rows are served in order of their due time, so no brand or type can push
///   another's rows back indefinitely.
///
/// Rows never polled are not this type's business: the intake makes them due before every other row.
public final class BudgetScheduler: PollScheduler {
    /// The tuning.
    public struct Settings: Sendable, Equatable {
        /// The shortest interval between two polls of a row.
        public var minimumInterval: Double = 1
        /// The longest interval between two polls of a row while the budget allows it.
        public var maximumInterval: Double = 60
        /// The share of the lane's rate the scheduler plans to use; the rest absorbs retries and new rows.
        public var targetUtilisation: Double = 0.9
        /// Completions a cohort needs before its own model is trusted; until then the lane's pooled model, and
        /// until that has enough, the fair interval.
        public var minimumSamples: Int = 20

        /// The defaults.
        public init() {}
    }

    private struct LaneState {
        var pooled = CompletionModel()
        var cohorts: [String: CompletionModel] = [:]
        /// The √hazard the lane accumulates between two polls of a row; nil until first needed.
        var threshold: Double?
    }

    /// The tuning in use.
    public let settings: Settings
    private let lanes = Locked([String: LaneState]())

    /// Creates the scheduler.
    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// A short name for logs and the benchmark table.
    public var name: String { "budget" }

    /// When to poll the row again; see ``PollScheduler``.
    public func nextPollTime(_ context: ScheduleContext) -> Double {
        let range = settings.minimumInterval...max(settings.minimumInterval, settings.maximumInterval)
        let usable = max(context.ratePerSecond * settings.targetUtilisation, 0.01)
        let fair = Double(max(context.pendingInLane, 1)) / usable
        let key = context.row.merchantID + "/" + context.resource
        let interval = lanes.withLock { lanes -> Double in
            var lane = lanes[key, default: LaneState()]
            defer { lanes[key] = lane }
            let cohortSamples = lane.cohorts[context.cohort]?.sampleCount ?? 0
            let useCohort = cohortSamples >= settings.minimumSamples
            guard useCohort || lane.pooled.sampleCount >= settings.minimumSamples else {
                return min(max(fair, range.lowerBound), range.upperBound)
            }
            let threshold = Self.adjusted(lane.threshold, context: context, fair: fair, settings: settings)
            lane.threshold = threshold
            if useCohort {
                return lane.cohorts[context.cohort]!.interval(
                    fromAge: context.age, threshold: threshold, within: range)
            }
            return lane.pooled.interval(fromAge: context.age, threshold: threshold, within: range)
        }
        return context.now + interval
    }

    /// Learns a completion; see ``PollScheduler``.
    public func recordCompletion(merchant: String, resource: String, cohort: String, age: Double) {
        lanes.withLock { lanes in
            var lane = lanes[merchant + "/" + resource, default: LaneState()]
            lane.pooled.record(age: age)
            lane.cohorts[cohort, default: CompletionModel()].record(age: age)
            lanes[merchant + "/" + resource] = lane
        }
    }

    /// One feedback step: a lane that left budget unused while nothing ran late lowers its threshold (polls
    /// more), a lane whose polls run late raises it (polls less). Multiplicative steps of a few percent per poll
    /// settle within seconds at 20 polls a second.
    static func adjusted(_ current: Double?, context: ScheduleContext, fair: Double, settings: Settings) -> Double {
        // Start where uniform polling would be if the hazard were one completion per fair interval.
        var threshold = current ?? fair.squareRoot()
        if context.lateness > 0.5 {
            threshold *= 1.05
        } else if context.utilisation < settings.targetUtilisation {
            threshold *= 0.97
        }
        return min(max(threshold, 1e-4), 1e3)
    }
}
