import Testing
import WatcherEngine

@testable import WatcherCLI

/// `bench --simulated --seed` replays the plans the real binary runs, so one real run can be set beside the
/// simulator on the same tasks rather than beside a pool of other plans.
@Suite("bench --simulated on chosen seeds")
struct SimulatedBenchSeedTests {
    @Test("a run from the real bench's seed simulates exactly the plan the real bench runs")
    func realRunsPlan() throws {
        let workload = try #require(BenchWorkload.named("cold-start", scale: 1))
        let rows = try SimulatedBench.run(
            workload, policies: ["sweep"], seeds: 1, firstSeed: Int(BenchRun.planSeed), minimumInterval: 1)
        let direct = SchedulingSimulation.run(
            workload.simulatedTasks(seed: BenchRun.planSeed), scheduler: SweepScheduler(minimumInterval: 1))
        #expect(rows.map(\.runs) == [1])
        #expect(rows.first?.outcome.latencies == direct.latencies)
        #expect(rows.first?.outcome.requests == direct.requests)
    }

    @Test("seeds count up from the first one: three seeds from 5 pool the plans of seeds 5, 6 and 7")
    func consecutiveSeeds() throws {
        let workload = try #require(BenchWorkload.named("cold-start", scale: 1))
        let pooled = try #require(
            try SimulatedBench.run(workload, policies: ["sweep"], seeds: 3, firstSeed: 5, minimumInterval: 1).first)
        var expected: [Double] = []
        for seed: UInt64 in 5...7 {
            expected +=
                SchedulingSimulation.run(
                    workload.simulatedTasks(seed: seed), scheduler: SweepScheduler(minimumInterval: 1)
                ).latencies
        }
        #expect(pooled.runs == 3)
        #expect(pooled.outcome.latencies == expected)
    }
}

/// The real bench runs one plan, so a margin that holds only over pooled seeds can still miss in the run that is
/// published: `bench --simulated` also compares the policies seed by seed.
@Suite("bench --simulated seed by seed")
struct SimulatedBenchPerSeedTests {
    private func outcome(latencies: [Double], requests: Int, tasks: Int) -> SchedulingSimulation.Outcome {
        var outcome = SchedulingSimulation.Outcome()
        (outcome.latencies, outcome.requests, outcome.tasks) = (latencies, requests, tasks)
        return outcome
    }

    @Test("each seed's ratio compares that seed's runs only, and a seed without completions is left out")
    func ratiosPerSeed() {
        let budget = [
            outcome(latencies: [1, 2, 3], requests: 10, tasks: 2),
            outcome(latencies: [], requests: 4, tasks: 2),
            outcome(latencies: [4, 4, 4], requests: 12, tasks: 2),
        ]
        let sweep = [
            outcome(latencies: [2, 4, 6], requests: 10, tasks: 2),
            outcome(latencies: [1], requests: 4, tasks: 2),
            outcome(latencies: [2, 2, 2], requests: 10, tasks: 2),
        ]
        let comparison = SimulatedBench.SeedComparison(budget: budget, other: sweep)
        #expect(comparison.p50 == [0.5, 2])
        #expect(comparison.p99 == [0.5, 2])
        #expect(comparison.requestsPerTask == [1, 1.2])
        #expect(SimulatedBench.SeedComparison.count(comparison.p50, atMost: 1) == 1)
        #expect(SimulatedBench.SeedComparison.medianAndWorst(comparison.p99)?.worst == 2)
    }

    @Test("the line names the seeds within the workload's margins against the sweep")
    func marginsCounted() {
        let comparison = SimulatedBench.SeedComparison(
            budget: [
                outcome(latencies: [0.7, 0.7], requests: 5, tasks: 1),
                outcome(latencies: [0.9, 0.9], requests: 5, tasks: 1),
            ],
            other: [
                outcome(latencies: [1, 1], requests: 5, tasks: 1), outcome(latencies: [1, 1], requests: 5, tasks: 1),
            ])
        let line = SimulatedBench.seedLine(comparison, "sweep", (0.8, 0.7))
        #expect(line.contains("(2 seeds)"))
        #expect(line.contains("p50 ≤ 0.80× in 1, p99 ≤ 0.70× in 1, both in 1"))
        #expect(!SimulatedBench.seedLine(comparison, "exponential", nil).contains("both in"))
    }
}
