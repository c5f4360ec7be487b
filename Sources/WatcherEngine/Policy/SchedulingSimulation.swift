import Foundation
import WatcherStore

/// A lane run on a virtual clock: the real ``PollScheduler``, ``RateLimiter`` and ``DueQueue`` against tasks whose
/// completion times are known in advance. No network, no database, no sleeping: a ten-minute workload takes
/// milliseconds, so policies can be compared over hundreds of seeds.
///
/// What it models of the daemon: intake notices a new row on its next 100 ms check and makes it due where the
/// scheduler places a new row (``PollScheduler/firstPlacement(_:)``), by default before every re-poll; each answer arrives one round trip after its request and is committed before the row re-enters the
/// queue; the answer's next poll is the scheduler's, never sooner than the minimum interval (as ``AnswerPolicy``
/// decides); every task of one resource shares one lane's limiter; the lane holds a window of the rows first in due
/// order (``Settings/window``), read again every ``Settings/refreshInterval`` and whenever it runs dry, as the lane
/// reads the database. What it leaves out: failures and 429s (the limiter makes none).
package enum SchedulingSimulation {
    /// One task of a workload.
    package struct Task: Sendable {
        /// Seconds from the start of the run when the producer inserts the row (negative: already there).
        package var arrival: Double
        /// Seconds from creation (= arrival) until WeChat Pay reports it final.
        package var lifetime: Double
        /// The scheduler's cohort (the image generation type, `coupon`).
        package var cohort: String
        /// The resource, i.e. the lane.
        package var resource: String

        /// Creates a task.
        package init(arrival: Double, lifetime: Double, cohort: String, resource: String) {
            self.arrival = arrival
            self.lifetime = lifetime
            self.cohort = cohort
            self.resource = resource
        }
    }

    /// The daemon's settings the run uses.
    package struct Settings: Sendable {
        /// Requests per second per lane.
        package var rate = 20
        /// `minimum_interval_seconds`.
        package var minimumInterval = 1.0
        /// From a request leaving to its answer arriving.
        package var roundTrip = 0.004
        /// From an answer to its row's commit.
        package var commitDelay = 0.002
        /// How often intake looks for new rows.
        package var intakeInterval = 0.1
        /// The rows the lane holds in memory, first in due order (nil: the daemon's, ``DueQueue/window(rate:)``);
        /// `Int.max` holds every row.
        package var window: Int?
        /// How often the lane reads its window again while rows change.
        package var refreshInterval = 2.0

        /// The defaults: the daemon's, with loopback-like network times.
        package init() {}
    }

    /// What a run measured.
    package struct Outcome: Sendable {
        /// Seconds from each completion to the commit of the answer that saw it.
        package var latencies: [Double] = []
        /// Requests sent.
        package var requests = 0
        /// Tasks in the workload.
        package var tasks = 0
        /// Seconds from the start to the last commit.
        package var duration = 0.0
        /// The most requests that reached the server in any window of one second, in any lane.
        package var busiestSecond = 0
        /// Lanes that sent requests.
        package var lanes = 0

        /// Nothing measured yet.
        package init() {}

        /// Requests per task.
        package var requestsPerTask: Double { tasks > 0 ? Double(requests) / Double(tasks) : 0 }

        /// The share of the lanes' budget used from the start to the last commit.
        package func budgetUsed(rate: Int) -> Double {
            duration > 0 && lanes > 0 ? Double(requests) / (duration * Double(rate) * Double(lanes)) : 0
        }

        /// The `p` quantile of the latencies (nearest rank), nil when nothing finished.
        package func latency(_ p: Double) -> Double? {
            guard !latencies.isEmpty else { return nil }
            let sorted = latencies.sorted()
            return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
        }
    }

    /// Runs every lane of `tasks` to the end and measures it.
    package static func run(
        _ tasks: [Task], scheduler: any PollScheduler, settings: Settings = Settings()
    ) -> Outcome {
        var outcome = Outcome()
        outcome.tasks = tasks.count
        let byResource = Dictionary(grouping: tasks, by: \.resource)
        for resource in byResource.keys.sorted() {
            var lane = SimulatedLane(
                tasks: byResource[resource]!, resource: resource, scheduler: scheduler, settings: settings)
            lane.run()
            outcome.latencies += lane.latencies
            outcome.requests += lane.requests
            outcome.duration = max(outcome.duration, lane.end)
            outcome.busiestSecond = max(outcome.busiestSecond, lane.busiestSecond)
            if lane.requests > 0 { outcome.lanes += 1 }
        }
        return outcome
    }
}

/// One lane of a simulation.
private struct SimulatedLane {
    static let merchant = "1900000001"
    /// The clock's origin: the run's unix time 0 is a plausible date, as the scheduler sees wall-clock times.
    static let epoch = 1_800_000_000.0

    struct Answer {
        var at: Double
        var index: Int
        var permit: RateLimiter.Permit
        var lateness: Double
        var serverAt: Double
    }

    let tasks: [SchedulingSimulation.Task]
    let resource: String
    let scheduler: any PollScheduler
    let settings: SchedulingSimulation.Settings
    var limiter: RateLimiter
    let window: Int
    var queue: DueQueue
    var nextRefresh = -Double.infinity
    var unfinished = Set<Int>()
    var inFlight = Set<Int64>()
    var rows: [QueuedRow] = []
    var answers: [Answer] = []
    var arrivalOrder: [Int]
    var nextArrival = 0
    var pending = 0
    var latencies: [Double] = []
    var requests = 0
    var serverArrivals: [Double] = []
    var end = 0.0

    init(
        tasks: [SchedulingSimulation.Task], resource: String, scheduler: any PollScheduler,
        settings: SchedulingSimulation.Settings
    ) {
        self.tasks = tasks
        self.resource = resource
        self.scheduler = scheduler
        self.settings = settings
        self.limiter = RateLimiter(limit: settings.rate)
        self.window = settings.window ?? DueQueue.window(rate: settings.rate)
        self.queue = DueQueue(capacity: window, isComplete: window == .max)
        self.arrivalOrder = tasks.indices.sorted { tasks[$0].arrival < tasks[$1].arrival }
        self.rows = tasks.enumerated().map { index, task in
            QueuedRow(
                rowID: Int64(index), merchantID: Self.merchant, resourceID: "task_\(index)", brandID: "120344",
                parameters: ["image_generation_type": task.cohort], state: "PENDING",
                createdAt: Self.epoch + task.arrival)
        }
    }

    var busiestSecond: Int {
        var busiest = 0
        var start = 0
        for (index, time) in serverArrivals.enumerated() {
            while serverArrivals[start] <= time - 1 { start += 1 }
            busiest = max(busiest, index - start + 1)
        }
        return busiest
    }

    mutating func run() {
        var now = tasks.map(\.arrival).min() ?? 0
        var nextIntake = (now / settings.intakeInterval).rounded(.up) * settings.intakeInterval
        while true {
            answer(upTo: now)
            if now >= nextIntake {
                admit(upTo: now)
                nextIntake = ((now / settings.intakeInterval).rounded(.down) + 1) * settings.intakeInterval
            }
            if now >= nextRefresh || (queue.rows.isEmpty && !queue.isComplete) { refresh(now: now) }
            let wake = poll(now: now)
            var next = [answers.map(\.at).min(), wake].compactMap { $0 }.min()
            if !unfinished.isEmpty, window != .max { next = min(next ?? nextRefresh, nextRefresh) }
            if nextArrival < arrivalOrder.count {
                let arrives = tasks[arrivalOrder[nextArrival]].arrival
                let tick = max(nextIntake, (arrives / settings.intakeInterval).rounded(.up) * settings.intakeInterval)
                next = min(next ?? tick, tick)
            }
            guard let next else { break }
            now = max(now, next)
        }
    }

    /// The lane's read of the database: the first rows in due order, less those in flight.
    mutating func refresh(now: Double) {
        nextRefresh = now + settings.refreshInterval
        guard window != .max else { return }
        let limit = window + inFlight.count
        let stored = unfinished.map { rows[$0] }.sorted {
            ($0.nextPollAt ?? 0, $0.rowID) < ($1.nextPollAt ?? 0, $1.rowID)
        }
        queue.replace(with: Array(stored.prefix(limit)), limit: limit, inFlight: inFlight)
    }

    /// Intake: rows inserted by now become due where the scheduler places a new row, or before every re-poll.
    mutating func admit(upTo now: Double) {
        var arriving = 0
        while nextArrival + arriving < arrivalOrder.count, tasks[arrivalOrder[nextArrival + arriving]].arrival <= now {
            arriving += 1
        }
        let wallNow = Self.epoch + now
        let pendingWithArrivals = pending + arriving
        for index in arrivalOrder[nextArrival..<nextArrival + arriving] {
            rows[index].firstSeenAt = wallNow
            rows[index].nextPollAt = wallNow - Intake.firstPollPriority
            let context = ScheduleContext(
                now: wallNow, row: rows[index], cohort: tasks[index].cohort, pendingInLane: pendingWithArrivals,
                ratePerSecond: limiter.rate, resource: resource)
            let placement = scheduler.firstPlacement(context)
            if let placement { rows[index].nextPollAt = placement.dueAt }
            unfinished.insert(index)
            queue.insert(rows[index], earlyBy: placement?.earlyBy ?? 0)
            pending += 1
        }
        nextArrival += arriving
    }

    /// Spends every token the limiter grants on what the queue chooses; returns when to look again.
    mutating func poll(now: Double) -> Double? {
        while true {
            switch queue.choose(now: Self.epoch + now, deadline: .infinity) {
            case .wait(let until):
                return until.map { $0 - Self.epoch }
            case .expire(let index):
                _ = queue.remove(at: index)
            case .poll(let index, let lateness):
                guard let earliest = limiter.earliestIssue(now: now) else { return nil }
                if earliest > now { return earliest }
                let row = queue.remove(at: index)
                inFlight.insert(row.rowID)
                let permit = limiter.issue(now: now)
                requests += 1
                serverArrivals.append(now + settings.roundTrip / 2)
                answers.append(
                    Answer(
                        at: now + settings.roundTrip, index: Int(row.rowID), permit: permit,
                        lateness: max(0, lateness), serverAt: now + settings.roundTrip / 2))
            }
        }
    }

    /// Answers that arrived by now: the limiter learns of them, finished tasks are detected, the rest re-queued.
    mutating func answer(upTo now: Double) {
        answers.sort { $0.at < $1.at }
        while let first = answers.first, first.at <= now {
            answers.removeFirst()
            limiter.complete(first.permit, at: first.at)
            inFlight.remove(Int64(first.index))
            let task = tasks[first.index]
            var row = rows[first.index]
            let committed = first.at + settings.commitDelay
            end = max(end, committed)
            let wallNow = Self.epoch + first.at
            if task.arrival + task.lifetime <= first.serverAt {
                latencies.append(committed - (task.arrival + task.lifetime))
                pending -= 1
                unfinished.remove(first.index)
                let started = row.startedAt ?? wallNow
                scheduler.recordCompletion(
                    merchant: Self.merchant, resource: resource, cohort: task.cohort, age: wallNow - started,
                    unfinishedAtAge: row.lastPolledAt.map { $0 - started })
                continue
            }
            let context = ScheduleContext(
                now: wallNow, row: row, cohort: task.cohort, pendingInLane: pending,
                ratePerSecond: limiter.rate, resource: resource, utilisation: limiter.utilisation(now: first.at),
                lateness: row.pollCount > 0 ? first.lateness : 0)
            let placement = scheduler.placement(context)
            row.nextPollAt = max(placement.dueAt, wallNow + settings.minimumInterval)
            row.state = "PROCESSING"
            row.pollCount += 1
            row.lastPolledAt = wallNow
            rows[first.index] = row
            queue.insert(row, earlyBy: row.nextPollAt == placement.dueAt ? placement.earlyBy : 0)
        }
    }
}
