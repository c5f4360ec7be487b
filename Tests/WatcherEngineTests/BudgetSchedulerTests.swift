import Foundation
import Testing
import WatcherEngine
import WatcherStore
import WeChatPaySimulator

/// A row of merchant `1900000001` created at `created`, polled `polls` times.
private func row(_ id: Int64, created: Double, polls: Int = 1, brand: String = "120344") -> QueuedRow {
    QueuedRow(
        rowID: id, merchantID: "1900000001", resourceID: "task_\(id)", brandID: brand,
        parameters: ["image_generation_type": "COMBINE_IMAGE"], state: "PROCESSING", createdAt: created,
        pollCount: polls)
}

private func context(
    _ row: QueuedRow, now: Double, pending: Int, utilisation: Double = 0.95, lateness: Double = 0
) -> ScheduleContext {
    ScheduleContext(
        now: now, row: row, cohort: "COMBINE_IMAGE", pendingInLane: pending, ratePerSecond: 20,
        resource: "image_generation_task", utilisation: utilisation, lateness: lateness)
}

/// Teaches `scheduler` `count` completions drawn from the steady workload's distribution.
private func teach(_ scheduler: BudgetScheduler, count: Int = 300) {
    var random = SeededRandom(seed: 3)
    let model = DurationModel.lognormal(offset: 2, median: 6, sigma: 0.6)
    for _ in 0..<count {
        scheduler.recordCompletion(
            merchant: "1900000001", resource: "image_generation_task", cohort: "COMBINE_IMAGE",
            age: model.draw(&random))
    }
}

@Suite("BudgetScheduler: a sweep that skips the rows that cannot have finished")
struct BudgetSchedulerTests {
    @Test("before anything is learned, it is the sweep: every row again after the minimum interval")
    func coldStartIsTheSweep() {
        let scheduler = BudgetScheduler()
        #expect(scheduler.nextPollTime(context(row(1, created: 0), now: 100, pending: 90)) == 101)
    }

    @Test("a row is not polled more often than the minimum interval")
    func minimumInterval() {
        var settings = BudgetScheduler.Settings()
        settings.minimumInterval = 2.5
        let scheduler = BudgetScheduler(settings: settings)
        #expect(scheduler.nextPollTime(context(row(1, created: 0), now: 10, pending: 1)) == 12.5)
        teach(scheduler)
        #expect(scheduler.nextPollTime(context(row(1, created: 0), now: 7, pending: 1)) >= 9.5)
    }

    @Test("once learned, a young row waits until rows of its cohort start finishing; an older one is swept")
    func learnedShape() {
        let scheduler = BudgetScheduler()
        teach(scheduler)
        let created = 1_000.0
        func interval(atAge age: Double) -> Double {
            scheduler.nextPollTime(context(row(1, created: created), now: created + age, pending: 40))
                - (created + age)
        }
        let young = interval(atAge: 0.2)
        #expect(young + 0.2 >= 2.5, "nothing finishes before 2 s + the lognormal's first percentile: \(young) s")
        #expect(young + 0.2 <= 4.5, "but the row is back in play before the bulk of completions: \(young) s")
        #expect(interval(atAge: 7) == 1)
    }

    @Test(
        "behind a backlog three times its wait to enter play, a young row is placed as the sweep places it, so overdue rows go in the order they were last polled"
    )
    func deepBacklog() {
        let scheduler = BudgetScheduler()
        teach(scheduler)
        let created = 1_000.0
        func interval(pending: Int) -> Double {
            scheduler.nextPollTime(context(row(1, created: created), now: created + 0.2, pending: pending))
                - (created + 0.2)
        }
        let wait = interval(pending: 40)
        #expect(wait > 2, "40 rows watched at 20/s: the young row waits to enter play (\(wait) s)")
        let deep = Int((3 * wait * 20).rounded(.up))
        #expect(interval(pending: deep) == 1, "\(deep) rows watched take three times that wait to poll once")
        #expect(interval(pending: deep - 2) == wait, "a shallower backlog keeps the wait")
    }

    @Test("a new row goes at once, before every re-poll, until the model is trusted, and when it is in play already")
    func firstPollAtOnce() {
        let scheduler = BudgetScheduler()
        let created = 1_000.0
        let new = context(row(1, created: created, polls: 0), now: created + 0.1, pending: 40)
        #expect(scheduler.firstPlacement(new) == nil, "nothing learned yet")
        teach(scheduler)
        let old = context(row(2, created: created, polls: 0), now: created + 7, pending: 40)
        #expect(scheduler.firstPlacement(old) == nil, "7 s old: in play")
    }

    @Test(
        "once learned, a new row too young to have finished is due when it enters play, and may take any free token from its first sight"
    )
    func firstPollWhenItCanTell() throws {
        let scheduler = BudgetScheduler()
        teach(scheduler)
        let created = 1_000.0
        let now = created + 0.1
        let placed = try #require(
            scheduler.firstPlacement(context(row(1, created: created, polls: 0), now: now, pending: 40)))
        #expect(abs(placed.dueAt - placed.earlyBy - now) < 1e-9, "free to go from now on")
        #expect(placed.dueAt - created >= 2.5, "nothing finishes before 2 s + the lognormal's first percentile")
        let repolled = scheduler.nextPollTime(context(row(2, created: created), now: now, pending: 40))
        #expect(placed.dueAt == repolled, "due at the age a young row polled before would enter play")
    }

    @Test("behind a deep backlog a new row goes at once, as the sweep places it")
    func firstPollBehindDeepBacklog() throws {
        let scheduler = BudgetScheduler()
        teach(scheduler)
        let created = 1_000.0
        let new = row(1, created: created, polls: 0)
        let placed = try #require(scheduler.firstPlacement(context(new, now: created + 0.1, pending: 40)))
        let deep = Int((3 * placed.earlyBy * 20).rounded(.up))
        #expect(scheduler.firstPlacement(context(new, now: created + 0.1, pending: deep)) == nil)
        #expect(scheduler.firstPlacement(context(new, now: created + 0.1, pending: deep - 2)) == placed)
    }

    @Test("a new row waits at most the maximum interval for a slow cohort to enter play")
    func firstPollWithinMaximumInterval() throws {
        let scheduler = BudgetScheduler()
        for index in 0..<300 {
            scheduler.recordCompletion(
                merchant: "1900000001", resource: "image_generation_task", cohort: "COMBINE_IMAGE",
                age: 200 + Double(index % 10))
        }
        let placed = try #require(scheduler.firstPlacement(context(row(1, created: 0, polls: 0), now: 0.1, pending: 1)))
        #expect(placed.earlyBy == scheduler.settings.maximumInterval)
    }

    @Test("past every completion seen a row is swept, yielding to rows of known ages once polls show such rows linger")
    func pastTheOldestCompletion() {
        let scheduler = BudgetScheduler()
        teach(scheduler)
        func placement(atAge age: Double) -> Placement {
            let now = 5_000.0
            let placed = scheduler.placement(context(row(1, created: now - age), now: now, pending: 40))
            return Placement(dueAt: placed.dueAt - now, earlyBy: placed.earlyBy)
        }
        #expect(placement(atAge: 7) == Placement(dueAt: 1), "a known age: the sweep's interval, no yield")
        let first = placement(atAge: 700)
        #expect(
            abs(first.dueAt - first.earlyBy - 1) < 1e-9,
            "past the oldest completion it may go as soon as any row in play")
        #expect(
            first.earlyBy > 0 && first.earlyBy < CompletionModel.longestYield,
            "one poll past it is little evidence: it yields \(first.earlyBy) s")
        for _ in 0..<CompletionModel.pastOldestEvidence { _ = placement(atAge: 700) }
        #expect(
            placement(atAge: 700)
                == Placement(dueAt: 1 + CompletionModel.longestYield, earlyBy: CompletionModel.longestYield),
            "with evidence, it yields the longest yield")
        scheduler.recordCompletion(
            merchant: "1900000001", resource: "image_generation_task", cohort: "COMBINE_IMAGE", age: 650)
        #expect(placement(atAge: 700).earlyBy < 1, "a new oldest completion: the evidence starts again")
    }

    @Test(
        "the sweep until the lane has seen three completions; then a young row waits for its cohort to start finishing")
    func threeCompletionsToLearn() {
        let scheduler = BudgetScheduler()
        let young = context(row(1, created: 1_000), now: 1_000.2, pending: 40)
        for age in [10.0, 11.0] {
            scheduler.recordCompletion(
                merchant: "1900000001", resource: "image_generation_task", cohort: "COMBINE_IMAGE", age: age)
            #expect(scheduler.nextPollTime(young) == 1_001.2, "after a completion at \(age) s: still the sweep")
        }
        scheduler.recordCompletion(
            merchant: "1900000001", resource: "image_generation_task", cohort: "COMBINE_IMAGE", age: 12)
        #expect(
            scheduler.nextPollTime(young) == 1_008,
            "the youngest of three drawn in by 3/4, plus half a minimum interval")
    }

    @Test("cohorts learn separately: a fast type does not make a slow type's young rows be polled")
    func cohortsAreSeparate() {
        let scheduler = BudgetScheduler()
        for index in 0..<200 {
            scheduler.recordCompletion(
                merchant: "1900000001", resource: "image_generation_task", cohort: "CUT_OUT",
                age: 1 + Double(index % 10) * 0.1)
            scheduler.recordCompletion(
                merchant: "1900000001", resource: "image_generation_task", cohort: "COMBINE_IMAGE",
                age: 30 + Double(index % 10))
        }
        var slow = context(row(1, created: 0), now: 1.5, pending: 40)
        var fast = slow
        fast.cohort = "CUT_OUT"
        slow.cohort = "COMBINE_IMAGE"
        let fastPlaced = scheduler.placement(fast)
        #expect(abs(fastPlaced.dueAt - fastPlaced.earlyBy - 2.5) < 1e-9, "after the minimum interval at the latest")
        #expect(scheduler.nextPollTime(slow) > 20)
    }

    @Test("a gap between a fast and a slow group is skipped, at most the maximum interval")
    func gapsAreSkipped() {
        let scheduler = BudgetScheduler()
        for index in 0..<300 {
            let age = index % 10 < 7 ? 3 + Double(index % 7) * 0.7 : 100 + Double(index % 3) * 20
            scheduler.recordCompletion(
                merchant: "1900000001", resource: "image_generation_task", cohort: "COMBINE_IMAGE", age: age)
        }
        let next = scheduler.nextPollTime(context(row(1, created: 0), now: 20, pending: 40))
        #expect(next > 60)
        #expect(next <= 80)
    }
}

@Suite("SweepScheduler")
struct SweepSchedulerTests {
    @Test("every row again exactly the minimum interval after its answer, so due order is last-poll order")
    func sweep() {
        let sweep = SweepScheduler(minimumInterval: 1.5)
        #expect(sweep.name == "sweep")
        #expect(sweep.nextPollTime(context(row(1, created: 0), now: 10, pending: 3)) == 11.5)
    }
}

@Suite("CompletionModel")
struct CompletionModelTests {
    /// A model taught `count` completions of the steady workload's distribution.
    private func steady(count: Int = 300) -> CompletionModel {
        var model = CompletionModel()
        var random = SeededRandom(seed: 5)
        let lifetimes = DurationModel.lognormal(offset: 2, median: 6, sigma: 0.6)
        for _ in 0..<count { model.record(age: lifetimes.draw(&random)) }
        return model
    }

    @Test(
        "the youngest ages are out of play: until half a minimum interval past the first percentile of completions, drawn in by n/(n+1)"
    )
    func tooYoung() {
        var model = CompletionModel()
        for index in 0..<100 { model.record(age: 5 + Double(index) * 0.1) }
        #expect(model.sampleCount == 100)
        let entersPlay: Double = 5.1 * 100 / 101 + 0.5
        let justBefore = model.isInPlay(atAge: entersPlay - 0.01, minimumInterval: 1)
        #expect(!justBefore, "the first percentile is 5.1 s")
        let there = model.isInPlay(atAge: entersPlay + 1e-9, minimumInterval: 1)
        #expect(there)
        let firstWait = model.interval(fromAge: 0.1, within: 1...60)
        #expect(abs(firstWait - (entersPlay - 0.1)) < 1e-9)
    }

    @Test(
        "a completion is learned midway between the poll that found its row unfinished and the one that found it finished"
    )
    func learnedMidway() {
        var seen = CompletionModel()
        var midway = CompletionModel()
        for _ in 0..<3 {
            seen.record(age: 30)
            midway.record(age: 30, unfinishedAtAge: 20)
        }
        let (late, likely) = (
            seen.waitToEnterPlay(fromAge: 0, within: 1...60), midway.waitToEnterPlay(fromAge: 0, within: 1...60)
        )
        let expectedLate: Double = 30 * 0.75 + 0.5
        let expectedLikely: Double = 25 * 0.75 + 0.5
        #expect(abs(late - expectedLate) < 1e-9)
        #expect(abs(likely - expectedLikely) < 1e-9)
        #expect(midway.yielding(atAge: 28) == 0, "not past the oldest seen (30 s), though past the oldest learned")
        var firstPoll = CompletionModel()
        for _ in 0..<3 { firstPoll.record(age: 30, unfinishedAtAge: nil) }
        #expect(
            firstPoll.waitToEnterPlay(fromAge: 0, within: 1...60) == late, "a first poll's finish teaches its own age")
    }

    @Test("a start of play learned late moves earlier once rows polled before it finish there")
    func lateStartComesDown() {
        var model = CompletionModel()
        // The first completions were seen late: the rows were out of play until 24 s.
        for _ in 0..<20 { model.record(age: 24) }
        let before = model.waitToEnterPlay(fromAge: 0, within: 1...60)
        // Rows first polled at 16 s (before this cohort's model existed) finish between polls at 16 and 19 s.
        for _ in 0..<5 { model.record(age: 19, unfinishedAtAge: 16) }
        let after = model.waitToEnterPlay(fromAge: 0, within: 1...60)
        #expect(before > 22)
        let expected: Double = 17.5 * 25 / 26 + 0.5
        #expect(abs(after - expected) < 1e-9, "from \(before) s to \(after) s")
    }

    @Test("past the oldest completion the yield grows with the share by which a row outlived it, not with seconds")
    func yieldIsRelative() {
        var fast = CompletionModel()
        var slow = CompletionModel()
        for index in 0..<100 {
            fast.record(age: 1 + Double(index) / 10)  // oldest 10.9 s
            slow.record(age: 100 + Double(index) * 10)  // oldest 1,090 s
        }
        for _ in 0..<CompletionModel.pastOldestEvidence {
            _ = fast.yielding(atAge: 11)
            _ = slow.yielding(atAge: 1_100)
        }
        let (fastYield, slowYield) = (fast.yielding(atAge: 10.9 * 1.2), slow.yielding(atAge: 1_090 * 1.2))
        #expect(abs(fastYield - slowYield) < 1e-9, "both rows outlived their oldest completion by a fifth")
        #expect(abs(fastYield - 0.2 * CompletionModel.pastOldestYield) < 1e-9)
        #expect(fast.yielding(atAge: 10) == 0, "an age completions have been seen at never yields")
    }

    @Test("the sparse tail of a group stays in play: a row that outlived most of its cohort is polled as often as any")
    func sparseTailInPlay() {
        var model = steady()
        for age in [12.0, 18, 25, 30] {
            let inPlay = model.isInPlay(atAge: age, minimumInterval: 1)
            #expect(inPlay, "age \(age) s")
            let wait = model.interval(fromAge: age - 1, within: 1...60)
            #expect(wait == 1)
        }
    }

    @Test("a gap between a fast and a slow group is out of play until just before the slow group's first completion")
    func gapBetweenGroups() {
        var model = CompletionModel()
        for index in 0..<70 { model.record(age: 3 + Double(index % 7) * 0.7) }
        for index in 0..<30 { model.record(age: 100 + Double(index % 3) * 20) }
        let inGap = model.isInPlay(atAge: 50, minimumInterval: 1)
        #expect(!inGap)
        let fromTwenty = model.interval(fromAge: 20, within: 1...60)
        #expect(fromTwenty == 60, "the gap ends at 100 s: at most the longest wait")
        let fromSeventy = model.interval(fromAge: 70, within: 1...60)
        let gapEnd = 7.2 + (100 - 7.2) * 30 / 31
        #expect(abs(fromSeventy - (gapEnd - 70)) < 1e-9, "30 completions after the gap: it ends 1/31 of it early")
        let pastGap = model.isInPlay(atAge: 110, minimumInterval: 1)
        #expect(pastGap)
    }

    @Test("with only a few slow completions the gap ends well before the youngest of them, closer as more arrive")
    func gapEndFromFewCompletions() {
        var model = CompletionModel()
        for index in 0..<100 { model.record(age: 4 + Double(index % 5)) }
        for age in [72.0, 80, 95, 110, 130] { model.record(age: age) }
        let fromTen = model.interval(fromAge: 10, within: 1...60)
        let fewEnd = 8 + (72 - 8) * 5.0 / 6
        #expect(abs(fromTen - (fewEnd - 10)) < 1e-9, "five after the gap: it ends a sixth of it early, at 61.3 s")
        for age in stride(from: 72.0, to: 180, by: 2) { model.record(age: age) }
        let fromTenLater = model.interval(fromAge: 10, within: 1...60)
        #expect(fromTenLater > fromTen)
        #expect(fromTenLater < 72 - 10)
    }

    @Test("a few late completions after a fast group are its tail, not a gap")
    func fewLateAreNoGap() {
        var model = CompletionModel()
        for index in 0..<200 { model.record(age: 3 + Double(index % 10) * 0.1) }
        for _ in 0..<(CompletionModel.fewestAfterGap - 1) { model.record(age: 100) }
        let inPlay = model.isInPlay(atAge: 50, minimumInterval: 1)
        #expect(inPlay)
        let wait = model.interval(fromAge: 50, within: 1...60)
        #expect(wait == 1)
    }

    @Test("it keeps only the most recent completions, so it follows a change in the platform's speed")
    func forgets() {
        var model = CompletionModel(capacity: 100)
        for _ in 0..<100 { model.record(age: 50) }
        let before = model.isInPlay(atAge: 10, minimumInterval: 1)
        #expect(!before)
        for _ in 0..<100 { model.record(age: 3) }
        #expect(model.sampleCount == 100)
        let after = model.isInPlay(atAge: 10, minimumInterval: 1)
        #expect(after)
        let yielding = model.yielding(atAge: 10)
        #expect(yielding > 0, "10 s is past every completion kept: the 50 s ones are forgotten")
    }

    @Test("nonsense ages are ignored")
    func ignoresNonsense() {
        var model = CompletionModel()
        model.record(age: -1)
        model.record(age: .nan)
        model.record(age: .infinity)
        #expect(model.sampleCount == 0)
    }
}
