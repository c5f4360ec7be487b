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
