import Foundation
import WatcherEngine
import WeChatPaySimulator

/// One of the benchmark's workloads: what exists before the watcher starts, what arrives while it runs.
struct BenchWorkload: Sendable {
    /// One of ``names``, or `soak`.
    var name: String
    /// A line for the report.
    var description: String
    /// Merchants, each with its own budget.
    var merchants: Int
    /// Tasks per merchant already in the table when the watcher starts.
    var initialTasksPerMerchant: Int
    /// Product coupons per merchant already in their table when the watcher starts (the second API).
    var couponsPerMerchant = 0
    /// Tasks arriving per second while the watcher runs (all for the first merchant), and for how long.
    var arrivalsPerSecond: Double = 0
    var arrivalSeconds: Double = 0
    /// How long tasks take, from creation.
    var durations: DurationModel
    /// The share of tasks that end in FAIL.
    var failureRate = 0.1
    /// Large-queue only: rows already being watched, far from finishing; the run observes for a fixed time.
    var watchedRows = 0
    var observeSeconds = 0.0
    /// Rows inserted one at a time after ready, each timed from its commit to its first request (large queue).
    var freshRows = 0
    /// Seconds the watcher is then left with nothing due while its CPU time is read from `/proc/PID/stat`.
    var idleSeconds = 0.0
    /// Soak only: every fault of the simulator at this probability, and /proc samples of RSS and descriptors.
    var faultProbability = 0.0
    /// Bursty only: this many tasks arrive at once, `burstCount` times, `burstEvery` seconds apart.
    var burstSize = 0
    var burstCount = 0
    var burstEvery = 120.0
    /// `CUT_OUT` tasks take this many times as long as `durations` says (`COMBINE_IMAGE` ones as it says).
    var cutOutSlowdown = 1.0

    /// Every task finishes eventually, and the run ends when all are final.
    var drains: Bool { watchedRows == 0 }

    /// Every workload once, in the order `--workload all` runs them.
    static let names = ["backlog", "scale", "large-queue", "mixed", "full-rate"] + schedulingNames

    /// The workloads that compare schedules (the simulator runs these).
    static let schedulingNames = [
        "steady", "heavy-tail", "saturated", "bursty", "two-cohorts", "cold-start", "coupons",
    ]

    /// The workload called `name`, with task counts multiplied by `scale` (for quick runs). `soak` and `idle` are
    /// not part of `all`: the soak runs for `seconds` (default 30 minutes), idle for `seconds` (default 60).
    static func named(_ name: String, scale: Double, seconds: Double? = nil) -> BenchWorkload? {
        func scaled(_ count: Int) -> Int { max(1, Int((Double(count) * scale).rounded())) }
        switch name {
        case "backlog":
            return BenchWorkload(
                name: name, description: "2 merchants × \(scaled(1_000)) tasks already finished upstream",
                merchants: 2, initialTasksPerMerchant: scaled(1_000), durations: .fixed(0))
        case "steady":
            return BenchWorkload(
                name: name,
                description:
                    "4 tasks/s for \(Int(60 * scale)) s, each finishing 2 s + lognormal(median 6 s, σ 0.6) after creation, 10% FAIL",
                merchants: 1, initialTasksPerMerchant: 0, arrivalsPerSecond: 4, arrivalSeconds: 60 * scale,
                durations: .lognormal(offset: 2, median: 6, sigma: 0.6))
        case "scale":
            return BenchWorkload(
                name: name, description: "10 merchants × \(scaled(600)) tasks already finished, all at full rate",
                merchants: 10, initialTasksPerMerchant: scaled(600), durations: .fixed(0))
        case "large-queue":
            return BenchWorkload(
                name: name,
                description:
                    "\(scaled(1_000_000)) unfinished rows already watched, due in 1–2 h; 100 new rows inserted one per 0.5 s after ready, then 60 s with nothing due",
                merchants: 1, initialTasksPerMerchant: 0, durations: .fixed(1e9), watchedRows: scaled(1_000_000),
                observeSeconds: 15, freshRows: 100, idleSeconds: 60)
        case "mixed":
            return BenchWorkload(
                name: name,
                description:
                    "1 merchant × \(scaled(1_000)) image tasks + \(scaled(1_000)) product coupons, all final upstream: both APIs at full rate",
                merchants: 1, initialTasksPerMerchant: scaled(1_000), couponsPerMerchant: scaled(1_000),
                durations: .fixed(0))
        case "full-rate":
            // The most the daemon is sized for: ten merchants, both APIs each, every lane at its 20/s.
            return BenchWorkload(
                name: name,
                description:
                    "10 merchants × \(scaled(300)) image tasks + \(scaled(300)) product coupons, all final upstream: 20 lanes at full rate (400 requests/s)",
                merchants: 10, initialTasksPerMerchant: scaled(300), couponsPerMerchant: scaled(300),
                durations: .fixed(0))
        case "heavy-tail":
            return BenchWorkload(
                name: name,
                description:
                    "4 tasks/s for \(Int(60 * scale)) s, 70% finishing 3–8 s after creation, 30% after 60–180 s, 10% FAIL",
                merchants: 1, initialTasksPerMerchant: 0, arrivalsPerSecond: 4, arrivalSeconds: 60 * scale,
                durations: .mixture(share: 0.7, .uniform(3, 8), .uniform(60, 180)))
        case "saturated":
            return BenchWorkload(
                name: name,
                description:
                    "8 tasks/s for \(Int(60 * scale)) s, each finishing 2 s + lognormal(median 6 s, σ 0.6) after creation: re-polls get what first polls leave",
                merchants: 1, initialTasksPerMerchant: 0, arrivalsPerSecond: 8, arrivalSeconds: 60 * scale,
                durations: .lognormal(offset: 2, median: 6, sigma: 0.6))
        case "bursty":
            return BenchWorkload(
                name: name,
                description:
                    "\(scaled(500)) tasks at once, twice, two minutes apart, each finishing 2 s + lognormal(median 6 s, σ 0.6) after creation",
                merchants: 1, initialTasksPerMerchant: 0, durations: .lognormal(offset: 2, median: 6, sigma: 0.6),
                burstSize: scaled(500), burstCount: 2)
        case "two-cohorts":
            return BenchWorkload(
                name: name,
                description:
                    "4 tasks/s for \(Int(60 * scale)) s, COMBINE_IMAGE finishing 2 s + lognormal(median 6 s, σ 0.6) after creation, CUT_OUT five times slower",
                merchants: 1, initialTasksPerMerchant: 0, arrivalsPerSecond: 4, arrivalSeconds: 60 * scale,
                durations: .lognormal(offset: 2, median: 6, sigma: 0.6), cutOutSlowdown: 5)
        case "cold-start":
            return BenchWorkload(
                name: name,
                description:
                    "8 tasks/s for \(Int(10 * scale)) s, each finishing 2 s + lognormal(median 6 s, σ 0.6) after creation: the whole run is learning",
                merchants: 1, initialTasksPerMerchant: 0, arrivalsPerSecond: 8, arrivalSeconds: 10 * scale,
                durations: .lognormal(offset: 2, median: 6, sigma: 0.6))
        case "coupons":
            return BenchWorkload(
                name: name,
                description:
                    "\(scaled(200)) product coupons in audit, each finishing 60 s + lognormal(median 15 min, σ 1) after creation (minutes to hours)",
                merchants: 1, initialTasksPerMerchant: 0, couponsPerMerchant: scaled(200),
                durations: .lognormal(offset: 60, median: 900, sigma: 1))
        case "idle":
            return BenchWorkload(
                name: name,
                description:
                    "\(scaled(80)) tasks already finished upstream, then \(Int(seconds ?? 60)) s with nothing due: the daemon's CPU at rest",
                merchants: 1, initialTasksPerMerchant: scaled(80), durations: .fixed(0), idleSeconds: seconds ?? 60)
        case "soak":
            return BenchWorkload(
                name: name,
                description:
                    "\(scaled(1_000_000)) unfinished rows over 10 merchants, every fault at 0.5%, for \(Int(seconds ?? 1_800)) s",
                merchants: 10, initialTasksPerMerchant: 0, durations: .fixed(1e9), watchedRows: scaled(1_000_000),
                observeSeconds: seconds ?? 1_800, faultProbability: 0.005)
        default:
            return nil
        }
    }
}

/// One task or coupon of a workload's plan.
struct PlannedResource: Sendable {
    /// Seconds from the watcher's start when the producer inserts it; nil for rows there before it starts.
    var arrival: Double?
    /// Which of the workload's merchants.
    var merchant: Int
    var api: SimulatedAPI
    /// The image generation type (tasks only).
    var type: String?
    /// Seconds from creation until final.
    var duration: Double
    var fails: Bool
}

extension BenchWorkload {
    /// Every task and coupon of the workload with its fate, drawn from `seed`: the real bench and the scheduling
    /// simulator run the same plan.
    func plan(seed: UInt64) -> [PlannedResource] {
        var random = SeededRandom(seed: seed, key: name)
        var plan: [PlannedResource] = []
        func add(_ arrival: Double?, merchant: Int, api: SimulatedAPI = .imageGenerationTask) {
            let type: String? = api == .imageGenerationTask ? (plan.count % 2 == 0 ? "COMBINE_IMAGE" : "CUT_OUT") : nil
            var duration = durations.draw(&random)
            if type == "CUT_OUT" { duration *= cutOutSlowdown }
            plan.append(
                PlannedResource(
                    arrival: arrival, merchant: merchant, api: api, type: type, duration: duration,
                    fails: random.unit() < failureRate))
        }
        for merchant in 0..<merchants {
            for _ in 0..<initialTasksPerMerchant { add(nil, merchant: merchant) }
        }
        for merchant in 0..<merchants {
            for _ in 0..<couponsPerMerchant { add(nil, merchant: merchant, api: .productCoupon) }
        }
        for index in 0..<Int(arrivalsPerSecond * arrivalSeconds) {
            add(Double(index) / arrivalsPerSecond, merchant: 0)
        }
        for burst in 0..<burstCount {
            for _ in 0..<burstSize { add(Double(burst) * burstEvery, merchant: 0) }
        }
        return plan
    }

    /// The budget scheduler's goal against the sweep on this workload, as ratios of p50 and p99; nil where the
    /// goal is only to be no worse.
    var sweepMargins: (p50: Double, p99: Double)? {
        ["steady", "heavy-tail", "two-cohorts"].contains(name) ? (0.8, 0.7) : nil
    }

    /// The plan as the scheduling simulator takes it.
    func simulatedTasks(seed: UInt64) -> [SchedulingSimulation.Task] {
        plan(seed: seed).map { resource in
            SchedulingSimulation.Task(
                arrival: resource.arrival ?? 0, lifetime: resource.duration, cohort: resource.type ?? "coupon",
                resource: resource.merchant == 0
                    ? resource.api.rawValue : "\(resource.api.rawValue)#\(resource.merchant)")
        }
    }
}

/// The figures of one run of one workload under one policy.
struct BenchResult: Sendable {
    var policy: String
    var tasks = 0
    var requests = 0
    var throttled = 0
    var maxInAnySecond = 0
    var lanes = 0
    var drainSeconds: Double?
    var boundSeconds: Double?
    var latencies: [Double] = []
    var cpuSeconds = 0.0
    var peakResidentBytes = 0
    var readySeconds: Double?
    var pickups: [Double] = []
    var wrongRows = 0
    var exitStatus: Int32 = 0
    /// Runs that observe (soak, large queue): the watcher's resident set, threads and descriptors once a minute.
    var samples: [ResourceSample] = []
    /// CPU seconds the watcher used over `idleSeconds` with nothing due, as a share of one core.
    var idleShareOfCore: Double?

    var utilisation: Double? {
        guard let drainSeconds, drainSeconds > 0, lanes > 0 else { return nil }
        return Double(requests) / (drainSeconds * 20 * Double(lanes))
    }

    /// The reading taken `minute` minutes after the watcher started.
    func sample(atMinute minute: Int) -> ResourceSample? { samples.first { $0.minute == minute } }

    /// Requests per second from the reading at `minute` to the last one.
    func requestRate(fromMinute minute: Int) -> Double? {
        guard let first = sample(atMinute: minute), let last = samples.last, last.minute > minute else { return nil }
        return Double(last.requests - first.requests) / Double((last.minute - minute) * 60)
    }

    /// Least-squares growth of RSS in bytes per minute from minute 5 on, once the queue and caches have filled.
    var residentSlope: Double? {
        let points = samples.filter { $0.minute >= 5 }.compactMap { sample in
            sample.residentBytes.map { (x: Double(sample.minute), y: Double($0)) }
        }
        guard points.count >= 2 else { return nil }
        let meanX = points.map(\.x).reduce(0, +) / Double(points.count)
        let meanY = points.map(\.y).reduce(0, +) / Double(points.count)
        let covariance = points.map { ($0.x - meanX) * ($0.y - meanY) }.reduce(0, +)
        let variance = points.map { ($0.x - meanX) * ($0.x - meanX) }.reduce(0, +)
        return covariance / variance
    }

    func percentile(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }
}

/// The watcher process read from `/proc` at one whole minute after its start.
struct ResourceSample: Sendable {
    var minute: Int
    var residentBytes: Int?
    /// The heap and stacks, without the mapped binary and libraries.
    var anonymousBytes: Int?
    var threads: Int?
    var descriptors: Int?
    /// Requests the simulator had answered by then, over all lanes.
    var requests: Int
}
