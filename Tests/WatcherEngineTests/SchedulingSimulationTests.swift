import Testing
import WatcherEngine

@Suite("SchedulingSimulation: a lane on a virtual clock")
struct SchedulingSimulationTests {
    /// `count` tasks inserted together, each finishing `lifetime` seconds later.
    private func burst(_ count: Int, lifetime: Double) -> [SchedulingSimulation.Task] {
        (0..<count).map { _ in
            SchedulingSimulation.Task(
                arrival: 0, lifetime: lifetime, cohort: "COMBINE_IMAGE", resource: "image_generation_task")
        }
    }

    @Test("a lane holding fewer rows than are due reads more as it goes: every task is seen, within the budget")
    func windowSmallerThanTheQueue() {
        var settings = SchedulingSimulation.Settings()
        settings.window = 8
        let windowed = SchedulingSimulation.run(
            burst(100, lifetime: 3), scheduler: SweepScheduler(minimumInterval: 1), settings: settings)
        settings.window = .max
        let whole = SchedulingSimulation.run(
            burst(100, lifetime: 3), scheduler: SweepScheduler(minimumInterval: 1), settings: settings)
        #expect(windowed.latencies.count == 100)
        #expect(windowed.busiestSecond <= 20)
        #expect(windowed.requests == whole.requests, "the same polls, in the same due order")
        #expect(abs(windowed.duration - whole.duration) < 0.5)
    }

    @Test("by default the lane holds what the daemon's does: two seconds of its budget, at least 32 rows")
    func daemonsWindow() {
        #expect(SchedulingSimulation.Settings().window == nil)
        #expect(DueQueue.window(rate: 20) == 40)
        #expect(DueQueue.window(rate: 5) == 32)
    }
}
