import Foundation
import WatcherCrypto
import WatcherSQLite
import WeChatPaySimulator

/// `bench`: runs the simulator and the real watcher binary on a workload, under the production scheduler and
/// the two baselines, and prints the figures side by side.
enum BenchCommand: Command {
    static let name = "bench"
    static let summary = "Measure the watcher against the simulator on a workload, next to the baseline schedules."
    static let usage =
        "bench --workload NAME|all|soak [--policies LIST] [--scale F] [--seconds N] [--keep] [--seed N] [--simulated [--seeds N]]"
    static let discussion = """
        Each run starts the simulator on 127.0.0.1 over TLS, prepares a database, starts `wechatpay-watcher run`
        as a child process with the named scheduler and measures: requests, 429s, the largest number of requests
        in any 1 s window per merchant and API, utilisation of the budget, drain time against the bound N/rate,
        detection latency (simulated completion → database write), polls per task, CPU milliseconds per request
        (with one RSA-2048 sign plus verify measured in the same run for comparison), and peak RSS.
        Policies: budget (the default scheduler), sweep (the least recently polled row, never one polled less
        than the minimum interval ago), exponential (1 s ×1.5 ≤ 20 s) and fixed-30s.
        --scale multiplies task counts and durations of arrival, for quick runs. `soak` (not part of `all`) runs a
        million unfinished rows over ten merchants with faults on for --seconds (default 1800), prints the
        watcher's RSS, threads, open descriptors and requests/s at every minute, and reports minute 5 against the
        end. `retention` (not part of `all`) prunes a million final rows while a thousand unfinished rows are polled
        and a producer inserts (see RetentionBench). `idle` (not part of `all`) drains 80 tasks and then reads the
        watcher's CPU time from /proc/PID/stat over --seconds (default 60) with nothing due; large-queue does the
        same with its million rows after timing 100 new rows' pick-up.
        """
    static let options: [Arguments.Option] = [
        .init(
            name: "workload", takesValue: true, help: BenchWorkload.names.joined(separator: ", ") + " or all",
            valueName: "NAME"),
        .init(
            name: "policies", takesValue: true, help: "comma-separated (default budget,sweep,exponential,fixed-30s)",
            valueName: "LIST"),
        .init(name: "scale", takesValue: true, help: "multiply the workload's size (default 1)", valueName: "F"),
        .init(
            name: "seconds", takesValue: true, help: "soak and idle only: how long to observe (default 1800, 60)",
            valueName: "N"),
        .init(name: "keep", takesValue: false, help: "keep each run's folder (database, log, config)"),
        .init(
            name: "simulated", takesValue: false,
            help: "run the scheduling workloads on the deterministic simulator (virtual clock, no network)"),
        .init(name: "seeds", takesValue: true, help: "simulated only: runs per policy (default 100)", valueName: "N"),
        .init(
            name: "seed", takesValue: true,
            help:
                "the plan's seed (default \(BenchRun.planSeed)); simulated: the first seed (default 1; with --seed, --seeds defaults to 1)",
            valueName: "N"),
        .init(
            name: "minimum-interval", takesValue: true,
            help: "simulated only: minimum_interval_seconds (default 1)", valueName: "S"),
    ]

    static func run(_ arguments: Arguments) async throws(CLIError) -> Int32 {
        let requested = try arguments.required("workload")
        let simulated = arguments.flag("simulated")
        let names =
            requested == "all" ? (simulated ? BenchWorkload.schedulingNames : BenchWorkload.names) : [requested]
        let scale = Double(arguments.value("scale") ?? "1") ?? -1
        if requested == RetentionBench.name, scale > 0, scale <= 10 {
            return try await RetentionBench(scale: scale, keep: arguments.flag("keep")).run()
        }
        guard scale > 0, scale <= 10 else { throw .usage("--scale must be a number in (0, 10]") }
        let policies = (arguments.value("policies") ?? "budget,sweep,exponential,fixed-30s")
            .split(separator: ",").map(String.init)
        for policy in policies { _ = try Setup.scheduler(named: policy) }
        var workloads: [BenchWorkload] = []
        for name in names {
            let seconds = arguments.value("seconds").flatMap(Double.init)
            guard let workload = BenchWorkload.named(name, scale: scale, seconds: seconds) else {
                throw .usage(
                    "unknown workload \(name.debugDescription); known: \(BenchWorkload.names.joined(separator: ", ")), all"
                )
            }
            workloads.append(workload)
        }
        if simulated {
            let first = arguments.value("seed").map { Int($0) ?? 0 }
            let seeds = Int(arguments.value("seeds") ?? (first == nil ? "100" : "1")) ?? 0
            let minimum = Double(arguments.value("minimum-interval") ?? "1") ?? 0
            guard seeds > 0, first ?? 1 > 0, minimum > 0 else {
                throw .usage("--seeds, --seed and --minimum-interval must be positive")
            }
            let which =
                seeds == 1
                ? "seed \(first ?? 1)" : "seeds \(first ?? 1)…\((first ?? 1) + seeds - 1), one run each per policy"
            Output.line("deterministic simulator: \(which), minimum interval \(format(minimum, 2)) s")
            for workload in workloads {
                Output.line("\n== \(workload.name): \(workload.description)")
                let rows = try SimulatedBench.run(
                    workload, policies: policies, seeds: seeds, firstSeed: first ?? 1, minimumInterval: minimum)
                Output.line(SimulatedBench.report(rows, rate: 20, margins: workload.sweepMargins))
            }
            return 0
        }
        let planSeed = try arguments.value("seed").map { text throws(CLIError) in
            guard let seed = UInt64(text), seed > 0 else { throw .usage("--seed must be a positive integer") }
            return seed
        }
        let reference = try referenceCryptoMilliseconds()
        Output.line(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; one RSA-2048 sign + verify: \(format(reference, 3)) ms CPU"
        )
        var allCorrect = true
        for workload in workloads {
            Output.line("\n== \(workload.name): \(workload.description)")
            if let planSeed { Output.line("   plan of seed \(planSeed)") }
            var results: [BenchResult] = []
            for policy in policies {
                Output.line("   running \(policy)…")
                let result = try await BenchRun(
                    workload: workload, policy: policy, keep: arguments.flag("keep"),
                    seed: planSeed ?? BenchRun.planSeed
                ).run()
                if result.wrongRows > 0 || result.exitStatus != 0 { allCorrect = false }
                results.append(result)
            }
            Output.line(report(workload, results, reference: reference))
        }
        return allCorrect ? 0 : 1
    }

    /// CPU milliseconds for one RSA-2048 PKCS#1 v1.5 SHA-256 signature plus one verification, through the same
    /// OpenSSL calls the watcher makes per request.
    static func referenceCryptoMilliseconds() throws(CLIError) -> Double {
        do {
            let key = try RSAPrivateKey.generate(bits: 2048)
            let message = Array(
                "GET\n/v3/marketing/partner/product-coupon/image-generation-tasks/task_1?brand_id=1\n1700000000\nNONCE\n\n"
                    .utf8)
            let iterations = 300
            let start = clock()
            for _ in 0..<iterations {
                let signature = try key.signSHA256(message)
                guard key.publicKey.isValidSignatureSHA256(signature, for: message) else {
                    throw CLIError.runtime("the reference signature did not verify")
                }
            }
            return Double(clock() - start) / Double(CLOCKS_PER_SEC) * 1000 / Double(iterations)
        } catch let error as CLIError {
            throw error
        } catch {
            throw .runtime("cannot measure the reference signature: \(error)")
        }
    }

    static func report(_ workload: BenchWorkload, _ results: [BenchResult], reference: Double) -> String {
        var header = ["policy", "tasks", "requests", "429", "max/1s", "util", "drain s", "bound s"]
        header += ["p50 s", "p99 s", "max s", "polls/task", "CPU ms/req", "×sign+verify", "peak RSS MB"]
        if !workload.drains { header += ["ready s", "pick-up p50 ms", "pick-up p99 ms", "pick-up max ms"] }
        if workload.idleSeconds > 0 { header += ["idle % core"] }
        if workload.faultProbability > 0 {
            header += ["req/s from m5", "RSS m5→end MB", "KB/min from m5", "fds m5→end"]
        }
        header += ["wrong", "exit"]
        let rows = results.map { result -> [String] in
            let cpuPerRequest = result.requests > 0 ? result.cpuSeconds * 1000 / Double(result.requests) : nil
            func show(_ value: Double?, _ places: Int, scale: Double = 1, suffix: String = "") -> String {
                guard let value else { return "–" }
                return format(value * scale, places) + suffix
            }
            let pollsPerTask: Double? = result.tasks > 0 ? Double(result.requests) / Double(result.tasks) : nil
            var row: [String] = [result.policy, "\(result.tasks)", "\(result.requests)", "\(result.throttled)"]
            row.append("\(result.maxInAnySecond)")
            row.append(show(result.utilisation, 1, scale: 100, suffix: "%"))
            row.append(show(result.drainSeconds, 1))
            row.append(show(result.boundSeconds, 1))
            row.append(show(result.percentile(result.latencies, 0.5), 2))
            row.append(show(result.percentile(result.latencies, 0.99), 2))
            row.append(show(result.latencies.max(), 2))
            row.append(show(pollsPerTask, 2))
            row.append(show(cpuPerRequest, 3))
            row.append(show(cpuPerRequest.map { $0 / reference }, 2))
            row.append(show(Double(result.peakResidentBytes) / 1_048_576, 1))
            if !workload.drains {
                row.append(show(result.readySeconds, 2))
                row.append(show(result.percentile(result.pickups, 0.5), 0, scale: 1000))
                row.append(show(result.percentile(result.pickups, 0.99), 0, scale: 1000))
                row.append(show(result.pickups.max(), 0, scale: 1000))
            }
            if workload.idleSeconds > 0 { row.append(show(result.idleShareOfCore, 3, scale: 100, suffix: "%")) }
            if workload.faultProbability > 0 {
                let mb = 1.0 / 1_048_576
                let (first, last) = (result.sample(atMinute: 5), result.samples.last)
                row.append(show(result.requestRate(fromMinute: 5), 1))
                row.append(
                    show((first?.residentBytes).map(Double.init), 1, scale: mb) + "→"
                        + show((last?.residentBytes).map(Double.init), 1, scale: mb))
                row.append(show(result.residentSlope, 1, scale: 1.0 / 1024))
                row.append(
                    "\((first?.descriptors).map(String.init) ?? "–")→\((last?.descriptors).map(String.init) ?? "–")")
            }
            return row + ["\(result.wrongRows)", "\(result.exitStatus)"]
        }
        var text = TextTable.render(header: header, rows: rows)
        if let budget = results.first(where: { $0.policy == "budget" }) {
            for other in results where other.policy != "budget" {
                var ratios: [String] = []
                if let a = budget.percentile(budget.latencies, 0.5), let b = other.percentile(other.latencies, 0.5),
                    a > 0
                {
                    ratios.append("p50 \(format(b / a, 1))× better")
                }
                if let a = budget.percentile(budget.latencies, 0.99), let b = other.percentile(other.latencies, 0.99),
                    a > 0
                {
                    ratios.append("p99 \(format(b / a, 1))× better")
                }
                if let a = budget.drainSeconds, let b = other.drainSeconds, a > 0 {
                    ratios.append("drain \(format(b / a, 2))× faster")
                }
                if !ratios.isEmpty { text += "\nbudget vs \(other.policy): " + ratios.joined(separator: ", ") }
            }
        }
        return text
    }

    static func format(_ value: Double, _ places: Int) -> String { String(format: "%.\(places)f", value) }
}
