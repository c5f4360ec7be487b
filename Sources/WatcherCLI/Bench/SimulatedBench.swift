import Foundation
import WatcherEngine

/// `bench --simulated`: the scheduling workloads on the deterministic simulator instead of the real binary, each
/// policy over the same seeds, latencies pooled over the seeds; and, since the real bench runs one plan, how the
/// budget scheduler compares with each other policy seed by seed.
enum SimulatedBench {
    /// The figures of one policy on one workload.
    struct Row {
        var policy: String
        var outcome: SchedulingSimulation.Outcome
        var runs: Int
        /// Each seed's run on its own, in seed order.
        var perSeed: [SchedulingSimulation.Outcome] = []
    }

    /// The budget scheduler against another policy over the same seeds, one ratio per seed.
    struct SeedComparison: Equatable {
        var p50: [Double]
        var p99: [Double]
        var requestsPerTask: [Double]

        /// The ratios of `budget`'s runs to `other`'s, seed by seed (seeds where either saw no completion left out).
        init(budget: [SchedulingSimulation.Outcome], other: [SchedulingSimulation.Outcome]) {
            var (p50, p99, requests) = ([Double](), [Double](), [Double]())
            for (a, b) in zip(budget, other) {
                guard let a50 = a.latency(0.5), let b50 = b.latency(0.5), b50 > 0,
                    let a99 = a.latency(0.99), let b99 = b.latency(0.99), b99 > 0, b.requestsPerTask > 0
                else { continue }
                p50.append(a50 / b50)
                p99.append(a99 / b99)
                requests.append(a.requestsPerTask / b.requestsPerTask)
            }
            (self.p50, self.p99, self.requestsPerTask) = (p50, p99, requests)
        }

        /// How many of `ratios` are at most `limit`.
        static func count(_ ratios: [Double], atMost limit: Double) -> Int {
            ratios.filter { $0 <= limit + 1e-9 }.count
        }

        /// The median and the largest of `ratios`.
        static func medianAndWorst(_ ratios: [Double]) -> (median: Double, worst: Double)? {
            let sorted = ratios.sorted()
            guard let worst = sorted.last else { return nil }
            return (sorted[sorted.count / 2], worst)
        }
    }

    /// Runs `workload` under every policy on seeds `firstSeed…firstSeed + seeds - 1`.
    static func run(
        _ workload: BenchWorkload, policies: [String], seeds: Int, firstSeed: Int = 1, minimumInterval: Double
    ) throws(CLIError) -> [Row] {
        var settings = SchedulingSimulation.Settings()
        settings.minimumInterval = minimumInterval
        var rows: [Row] = []
        for policy in policies {
            var pooled = SchedulingSimulation.Outcome()
            var perSeed: [SchedulingSimulation.Outcome] = []
            for seed in firstSeed..<(firstSeed + max(1, seeds)) {
                // A fresh scheduler per run: each run starts with nothing learned, as the daemon does.
                let scheduler = try Setup.scheduler(named: policy, minimumInterval: minimumInterval)
                let outcome = SchedulingSimulation.run(
                    workload.simulatedTasks(seed: UInt64(seed)), scheduler: scheduler, settings: settings)
                perSeed.append(outcome)
                pooled.latencies += outcome.latencies
                pooled.requests += outcome.requests
                pooled.tasks += outcome.tasks
                pooled.duration += outcome.duration
                pooled.lanes = max(pooled.lanes, outcome.lanes)
                pooled.busiestSecond = max(pooled.busiestSecond, outcome.busiestSecond)
            }
            rows.append(Row(policy: policy, outcome: pooled, runs: max(1, seeds), perSeed: perSeed))
        }
        return rows
    }

    /// The table for one workload; with several seeds, also each seed's budget ÷ other ratios: their median and
    /// worst, and in how many seeds the budget scheduler is no worse (and, against the sweep, within `margins` when
    /// given: the p50 and p99 ratios a workload's goal asks for).
    static func report(_ rows: [Row], rate: Int, margins: (p50: Double, p99: Double)? = nil) -> String {
        let header = [
            "policy", "tasks/run", "requests/task", "budget used", "max/1s", "p50 s", "p99 s", "max s", "drain s",
        ]
        let body = rows.map { row -> [String] in
            let outcome = row.outcome
            func show(_ value: Double?, _ places: Int) -> String {
                value.map { BenchCommand.format($0, places) } ?? "–"
            }
            return [
                row.policy, "\(outcome.tasks / row.runs)", show(outcome.requestsPerTask, 2),
                show(outcome.budgetUsed(rate: rate) * 100, 1) + "%", "\(outcome.busiestSecond)",
                show(outcome.latency(0.5), 2), show(outcome.latency(0.99), 2), show(outcome.latencies.max(), 2),
                show(outcome.duration / Double(row.runs), 1),
            ]
        }
        var text = TextTable.render(header: header, rows: body)
        if let budget = rows.first(where: { $0.policy == "budget" }) {
            for other in rows where other.policy != "budget" {
                guard let a50 = budget.outcome.latency(0.5), let b50 = other.outcome.latency(0.5),
                    let a99 = budget.outcome.latency(0.99), let b99 = other.outcome.latency(0.99)
                else { continue }
                text +=
                    "\nbudget ÷ \(other.policy): p50 \(BenchCommand.format(a50 / b50, 2))×, p99 \(BenchCommand.format(a99 / b99, 2))×, requests/task \(BenchCommand.format(budget.outcome.requestsPerTask / other.outcome.requestsPerTask, 2))×"
                if budget.perSeed.count > 1 {
                    text +=
                        "\n"
                        + seedLine(
                            SeedComparison(budget: budget.perSeed, other: other.perSeed), other.policy,
                            other.policy == "sweep" ? margins : nil)
                }
            }
        }
        return text
    }

    /// One line of per-seed ratios against `policy`.
    static func seedLine(_ comparison: SeedComparison, _ policy: String, _ margins: (p50: Double, p99: Double)?)
        -> String
    {
        let seeds = comparison.p50.count
        guard let p50 = SeedComparison.medianAndWorst(comparison.p50),
            let p99 = SeedComparison.medianAndWorst(comparison.p99)
        else { return "  per seed vs \(policy): no seed with completions" }
        func ratio(_ value: Double) -> String { BenchCommand.format(value, 2) + "×" }
        var line =
            "  per seed vs \(policy) (\(seeds) seeds): p50 median \(ratio(p50.median)), worst \(ratio(p50.worst)); "
            + "p99 median \(ratio(p99.median)), worst \(ratio(p99.worst)); no worse at p50 in "
            + "\(SeedComparison.count(comparison.p50, atMost: 1)), at p99 in \(SeedComparison.count(comparison.p99, atMost: 1)), "
            + "requests/task in \(SeedComparison.count(comparison.requestsPerTask, atMost: 1))"
        if let margins {
            let both = zip(comparison.p50, comparison.p99).filter {
                $0.0 <= margins.p50 + 1e-9 && $0.1 <= margins.p99 + 1e-9
            }.count
            line +=
                "; p50 ≤ \(ratio(margins.p50)) in \(SeedComparison.count(comparison.p50, atMost: margins.p50)), "
                + "p99 ≤ \(ratio(margins.p99)) in \(SeedComparison.count(comparison.p99, atMost: margins.p99)), both in \(both)"
        }
        return line
    }
}
