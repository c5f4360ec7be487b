import Testing
import WatcherEngine

@testable import WatcherCLI

/// The orderings that must hold between policies, as outcomes of the deterministic simulator on fixed seeds (the
/// same plans `bench` runs against the real binary), latencies pooled over the seeds as `bench --simulated` pools
/// them: one run's p99 is its third-slowest task, too few to rank policies by.
@Suite("Scheduling policies compared on the simulator")
struct SchedulingOrderingTests {
    /// Seeds per workload; coupons simulate three hours per run, so fewer.
    static func seeds(_ workload: String) -> ClosedRange<UInt64> { workload == "coupons" ? 1...1 : 1...10 }

    /// Pooled outcome of `policy` on `workload` over its fixed seeds (or `seeds`).
    static func outcome(
        _ workload: String, _ policy: String, seeds: ClosedRange<UInt64>? = nil
    ) throws -> SchedulingSimulation.Outcome {
        let plan = try #require(BenchWorkload.named(workload, scale: 1))
        var pooled = SchedulingSimulation.Outcome()
        for seed in seeds ?? Self.seeds(workload) {
            let outcome = SchedulingSimulation.run(
                plan.simulatedTasks(seed: seed), scheduler: try Setup.scheduler(named: policy))
            pooled.latencies += outcome.latencies
            pooled.requests += outcome.requests
            pooled.tasks += outcome.tasks
            pooled.busiestSecond = max(pooled.busiestSecond, outcome.busiestSecond)
        }
        return pooled
    }

    @Test(
        "the budget scheduler is no worse than the sweep at p50 and p99, sends no more requests per task, and never more than 20 in a second",
        arguments: BenchWorkload.schedulingNames)
    func budgetNoWorseThanSweep(workload: String) throws {
        let budget = try Self.outcome(workload, "budget")
        let sweep = try Self.outcome(workload, "sweep")
        #expect(budget.latencies.count == sweep.latencies.count, "every task is detected under both")
        let (b50, s50) = (try #require(budget.latency(0.5)), try #require(sweep.latency(0.5)))
        let (b99, s99) = (try #require(budget.latency(0.99)), try #require(sweep.latency(0.99)))
        #expect(b50 <= s50, "p50 \(b50) s against the sweep's \(s50) s")
        #expect(b99 <= s99, "p99 \(b99) s against the sweep's \(s99) s")
        #expect(budget.requestsPerTask <= sweep.requestsPerTask * 1.001)
        #expect(budget.busiestSecond <= 20 && sweep.busiestSecond <= 20)
    }

    @Test(
        "on steady, the heavy tail and two cohorts the budget scheduler meets the margins over 30 seeds: p50 ≤ 0.8 × and p99 ≤ 0.7 × the sweep's",
        arguments: ["steady", "heavy-tail", "two-cohorts"])
    func margins(workload: String) throws {
        let budget = try Self.outcome(workload, "budget", seeds: 1...30)
        let sweep = try Self.outcome(workload, "sweep", seeds: 1...30)
        let (b50, s50) = (try #require(budget.latency(0.5)), try #require(sweep.latency(0.5)))
        let (b99, s99) = (try #require(budget.latency(0.99)), try #require(sweep.latency(0.99)))
        #expect(b50 <= 0.8 * s50, "p50 \(b50) s against the sweep's \(s50) s")
        #expect(b99 <= 0.7 * s99, "p99 \(b99) s against the sweep's \(s99) s")
    }

    @Test("the sweep beats Google's back-off and the cron job at p50 and p99 on steady")
    func sweepBeatsTheOldBaselines() throws {
        let sweep = try Self.outcome("steady", "sweep")
        for other in ["exponential", "fixed-30s"] {
            let baseline = try Self.outcome("steady", other)
            #expect(try #require(sweep.latency(0.5)) < #require(baseline.latency(0.5)), "\(other)")
            #expect(try #require(sweep.latency(0.99)) < #require(baseline.latency(0.99)), "\(other)")
        }
    }
}
