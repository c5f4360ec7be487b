import Foundation
import WeChatPaySimulator

/// One of the benchmark's workloads: what exists before the watcher starts, what arrives while it runs.
struct BenchWorkload: Sendable {
    /// `backlog`, `steady`, `scale` or `large-queue`.
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
    /// Soak only: every fault of the simulator at this probability, and /proc samples of RSS and descriptors.
    var faultProbability = 0.0

    /// Every task finishes eventually, and the run ends when all are final.
    var drains: Bool { watchedRows == 0 }

    static let names = ["backlog", "steady", "scale", "large-queue", "mixed"]

    /// The workload called `name`, with task counts multiplied by `scale` (for quick runs). `soak` is not part of
    /// `all`: it runs for `seconds` (default 30 minutes).
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
                    "\(scaled(1_000_000)) unfinished rows already watched, 10 new rows inserted one per second after ready",
                merchants: 1, initialTasksPerMerchant: 0, durations: .fixed(1e9), watchedRows: scaled(1_000_000),
                observeSeconds: 15)
        case "mixed":
            return BenchWorkload(
                name: name,
                description:
                    "1 merchant × \(scaled(1_000)) image tasks + \(scaled(1_000)) product coupons, all final upstream: both APIs at full rate",
                merchants: 1, initialTasksPerMerchant: scaled(1_000), couponsPerMerchant: scaled(1_000),
                durations: .fixed(0))
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
    /// Soak: resident set and open descriptors shortly after ready, and at the end.
    var residentStart: Int?
    var residentEnd: Int?
    var descriptorsStart: Int?
    var descriptorsEnd: Int?

    var utilisation: Double? {
        guard let drainSeconds, drainSeconds > 0, lanes > 0 else { return nil }
        return Double(requests) / (drainSeconds * 20 * Double(lanes))
    }

    func percentile(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }
}
