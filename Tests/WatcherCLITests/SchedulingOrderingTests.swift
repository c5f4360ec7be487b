import Testing
import WatcherEngine

@testable import WatcherCLI

/// The orderings that must hold between policies, as outcomes of the deterministic simulator on fixed seeds (the
/// same plans `bench` runs against the real binary).
@Suite("Scheduling policies compared on the simulator")
struct SchedulingOrderingTests {
    static let seeds: [UInt64] = [1, 2, 3]

    /// Pooled outcome of `policy` on `workload` over the fixed seeds.
    static func outcome(_ workload: String, _ policy: String) throws -> SchedulingSimulation.Outcome {
        let plan = try #require(BenchWorkload.named(workload, scale: 1))
        var pooled = SchedulingSimulation.Outcome()
        for seed in seeds {
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
        "the budget scheduler is no worse than the sweep at p50 and p99, and sends no more requests per task",
        arguments: ["steady", "saturated", "two-cohorts", "cold-start"])
    func budgetNoWorseThanSweep(workload: String) throws {
        let budget = try Self.outcome(workload, "budget")
        let sweep = try Self.outcome(workload, "sweep")
        #expect(budget.latencies.count == sweep.latencies.count, "every task is detected under both")
        #expect(try #require(budget.latency(0.5)) <= #require(sweep.latency(0.5)))
        #expect(try #require(budget.latency(0.99)) <= #require(sweep.latency(0.99)))
        #expect(budget.requestsPerTask <= sweep.requestsPerTask * 1.001)
        #expect(budget.busiestSecond <= 20 && sweep.busiestSecond <= 20)
    }

    @Test("on bursty, where first polls take most of the budget, the two stay within 2% of each other")
    func burstyIsATie() throws {
        let budget = try Self.outcome("bursty", "budget")
        let sweep = try Self.outcome("bursty", "sweep")
        let (b50, s50) = (try #require(budget.latency(0.5)), try #require(sweep.latency(0.5)))
        let (b99, s99) = (try #require(budget.latency(0.99)), try #require(sweep.latency(0.99)))
        #expect(b50 <= 1.02 * s50, "p50 \(b50) s against \(s50) s")
        #expect(b99 <= 1.02 * s99, "p99 \(b99) s against \(s99) s")
    }

    @Test("on steady the budget scheduler beats the sweep clearly: p50 ≤ 0.8 × and p99 ≤ 0.8 × the sweep's")
    func steadyMargin() throws {
        let budget = try Self.outcome("steady", "budget")
        let sweep = try Self.outcome("steady", "sweep")
        #expect(try #require(budget.latency(0.5)) <= 0.8 * #require(sweep.latency(0.5)))
        #expect(try #require(budget.latency(0.99)) <= 0.8 * #require(sweep.latency(0.99)))
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
