import Foundation
import WatcherEngine

/// `bench --simulated`: the scheduling workloads on the deterministic simulator instead of the real binary, each
/// policy over the same seeds, latencies pooled over the seeds.
enum SimulatedBench {
    /// The figures of one policy on one workload.
    struct Row {
        var policy: String
        var outcome: SchedulingSimulation.Outcome
        var runs: Int
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
            for seed in firstSeed..<(firstSeed + max(1, seeds)) {
                // A fresh scheduler per run: each run starts with nothing learned, as the daemon does.
                let scheduler = try Setup.scheduler(named: policy, minimumInterval: minimumInterval)
                let outcome = SchedulingSimulation.run(
                    workload.simulatedTasks(seed: UInt64(seed)), scheduler: scheduler, settings: settings)
                pooled.latencies += outcome.latencies
                pooled.requests += outcome.requests
                pooled.tasks += outcome.tasks
                pooled.duration += outcome.duration
                pooled.lanes = max(pooled.lanes, outcome.lanes)
                pooled.busiestSecond = max(pooled.busiestSecond, outcome.busiestSecond)
            }
            rows.append(Row(policy: policy, outcome: pooled, runs: max(1, seeds)))
        }
        return rows
    }

    /// The table for one workload.
    static func report(_ rows: [Row], rate: Int) -> String {
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
            }
        }
        return text
    }
}
