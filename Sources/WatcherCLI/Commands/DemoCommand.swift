import Foundation
import ImageGenerationTasks
import ProductCoupons
import WatcherConfig
import WatcherEngine
import WatcherLog
import WatcherPOSIX
import WatcherSQLite
import WatcherStore
import WeChatPay
import WeChatPaySimulator

/// `demo`: the embedded default. Simulator, temporary database, sample tasks, the real engine, live progress.
enum DemoCommand: Command {
    static let name = "demo"
    static let summary =
        "Watch ~50 sample tasks and 10 product coupons against the built-in WeChat Pay simulator, with live progress."
    static let usage = "demo [--dir DIR] [--seed N]"
    static let discussion = """
        Generates keys, starts the simulator on 127.0.0.1, creates a database in a new temporary folder, inserts
        sample rows for two merchants: image tasks of both generation types (some fail, one is invalid) and
        product coupons in audit (some end DEACTIVATED), and runs the watcher until every row is final. Ends with
        each row's transitions and image URL or coupon name, and the paths of the database, log and
        configuration, which work with `status` and `run` afterwards.
        """
    static let options: [Arguments.Option] = [
        .init(name: "dir", takesValue: true, help: "folder to use instead of a new temporary one", valueName: "DIR"),
        .init(name: "seed", takesValue: true, help: "seed for durations and outcomes (default 7)", valueName: "N"),
    ]

    static let tasksPerMerchant = 25
    static let couponsPerMerchant = 5
    static let timeLimit = 25.0

    static func run(_ arguments: Arguments) async throws(CLIError) -> Int32 {
        let started = ContinuousClock.now
        let directory: String
        // Absolute, as simulate makes it: the configuration it writes names files inside it.
        if let given = arguments.value("dir") {
            directory = URL(fileURLWithPath: given).standardizedFileURL.path
        } else {
            directory = try temporaryDirectory()
        }
        let seed = UInt64(try arguments.integer("seed", default: 7))
        Output.line("wechatpay-watcher demo: generating keys and starting the WeChat Pay simulator…")
        let setup = try simulationFolder(directory, merchants: 2)
        var simulatorConfiguration = setup.simulatorConfiguration(
            seed: seed, durations: .uniform(1, 6), failureRate: 0.15, createUnknown: false)
        // TLS as in production: the simulator's CA is the config's api.ca_file.
        try serveTLS(&simulatorConfiguration, from: setup)
        let simulator = WeChatPaySimulator(configuration: simulatorConfiguration)
        let baseURL: String
        do {
            try simulator.start()
            baseURL = simulator.baseURL ?? ""
        } catch {
            throw .runtime("cannot start the simulator: \(error)")
        }
        defer { simulator.stop() }
        try writeConfiguration(setup, baseURL: baseURL, caFile: setup.caFile)
        let configuration = try Setup.configuration(setup.configFile).configuration
        let output = try Setup.logOutput(configuration)
        let logger = Logger(sink: output)
        let store = try Setup.store(configuration.database)
        defer { store.close() }

        let samples = sampleRows(setup: setup, seed: seed)
        simulator.register(samples.compactMap(\.simulated))
        try await insert(samples, into: store)
        Output.line("inserted \(samples.count) rows into \(configuration.database) (one of them invalid)")

        let engine = WatcherEngine(
            store: store,
            kinds: Setup.kinds,
            merchants: Setup.endpoints(
                configuration,
                credentials: try Setup.credentials(configuration),
                transport: try Setup.transport(configuration, logger: logger),
                logger: logger
            ),
            settings: Setup.engineSettings(configuration),
            scheduler: try Setup.scheduler(named: nil),
            logger: logger,
            identity: ProcessIdentity(pid: getpid(), hostname: Setup.hostname, version: wechatpayWatcherVersion)
        )
        let running = Task { try await engine.run() }
        let finished = await showProgress(store: store, engine: engine, simulator: simulator, total: samples.count)
        engine.stop()
        do {
            try await running.value
        } catch {
            throw .runtime("the watcher stopped with an error: \(error)")
        }
        try await printSummary(store: store, simulator: simulator)
        Output.line("")
        Output.line("database: \(configuration.database)")
        Output.line("log:      \(configuration.logFile ?? "standard error")")
        Output.line(
            "config:   \(configuration.configFile)   (try: wechatpay-watcher status --config \(configuration.configFile))"
        )
        let elapsed = (ContinuousClock.now - started).components.seconds
        guard finished else {
            Output.error("demo: not every row reached a final state within \(Int(timeLimit)) s")
            return 1
        }
        Output.line("demo finished in \(elapsed) s")
        return 0
    }

    private static func temporaryDirectory() throws(CLIError) -> String {
        try POSIXFile.temporaryFolder(prefix: "wechatpay-watcher-demo")
            .mapError { CLIError.runtime("cannot create a temporary folder: \($0.message)") }.get()
    }

    /// A demo row: what the producer inserts and, for valid rows, the fate the simulator gives it.
    struct Sample {
        var mchid: String
        var taskID: String
        var brandID: String
        var type: String
        var simulated: SimulatedResource?
        var isCoupon = false

        /// The row a producer inserts.
        var row: QueuedRow {
            isCoupon
                ? ProductCouponKind.newRow(merchantID: mchid, productCouponID: taskID, brandID: brandID)
                : ImageGenerationTaskKind.newRow(
                    merchantID: mchid, taskID: taskID, brandID: brandID, generationType: type)
        }
    }

    static func sampleRows(setup: SimulationFolder, seed: UInt64) -> [Sample] {
        var random = SeededRandom(seed: seed)
        let now = Date()
        var samples: [Sample] = []
        for (merchantIndex, merchant) in setup.merchants.enumerated() {
            for index in 0..<tasksPerMerchant {
                let type = index % 2 == 0 ? "COMBINE_IMAGE" : "CUT_OUT"
                let taskID = "demo_\(merchantIndex + 1)_\(String(format: "%03d", index + 1))"
                let brand = merchantIndex == 0 ? "120344" : "120345"
                let resource = SimulatedResource(
                    api: .imageGenerationTask,
                    mchid: merchant.mchid,
                    id: taskID,
                    brandID: brand,
                    imageGenerationType: type,
                    createdAt: now,
                    duration: 1 + 5 * random.unit(),
                    outcome: random.unit() < 0.15 ? .failure : .success
                )
                samples.append(
                    Sample(mchid: merchant.mchid, taskID: taskID, brandID: brand, type: type, simulated: resource))
            }
        }
        for (merchantIndex, merchant) in setup.merchants.enumerated() {
            for index in 0..<couponsPerMerchant {
                let id = String(1_000_000_000 + merchantIndex * 100 + index + 1)
                let brand = merchantIndex == 0 ? "120344" : "120345"
                let coupon = SimulatedResource(
                    api: .productCoupon, mchid: merchant.mchid, id: id, brandID: brand, createdAt: now,
                    duration: 1 + 5 * random.unit(), outcome: index == 2 ? .failure : .success)
                samples.append(
                    Sample(
                        mchid: merchant.mchid, taskID: id, brandID: brand, type: "", simulated: coupon, isCoupon: true))
            }
        }
        samples.append(
            Sample(mchid: setup.merchants[0].mchid, taskID: "bad id!", brandID: "120344", type: "COMBINE_IMAGE"))
        return samples
    }

    static func insert(_ samples: [Sample], into store: WatchStore) async throws(CLIError) {
        do {
            _ = try await store.insertAsProducer(samples.filter(\.isCoupon).map(\.row), into: ProductCouponKind().table)
            _ = try await store.insertAsProducer(
                samples.filter { !$0.isCoupon }.map(\.row), into: ImageGenerationTaskKind().table)
        } catch {
            throw .runtime("cannot insert the sample rows: \(error)")
        }
    }

    /// Redraws a progress line until every row is final or the time limit passes; true when all finished.
    static func showProgress(store: WatchStore, engine: WatcherEngine, simulator: WeChatPaySimulator, total: Int) async
        -> Bool
    {
        let start = ContinuousClock.now
        var previous = (at: start, requests: 0)
        var rate = 0.0
        while true {
            try? await Task.sleep(for: .milliseconds(250))
            let kinds = (try? await progress(store)) ?? []
            let done = kinds.reduce(0) { $0 + $1.done }
            let statistics = simulator.statistics()
            let now = ContinuousClock.now
            let elapsed = (now - previous.at).seconds
            if elapsed >= 1 {
                rate = Double(statistics.totalRequests - previous.requests) / elapsed
                previous = (now, statistics.totalRequests)
            }
            let perKind = kinds.map { "\($0.resource) \($0.done)/\($0.total)" }.joined(separator: ", ")
            let line =
                "  done \(done)/\(total) (\(perKind))"
                + String(
                    format: "   requests %d   %.1f req/s   throttled %d   largest 1 s window %d",
                    statistics.totalRequests, rate, statistics.totalThrottled, statistics.maxRequestsInAnySecond
                )
            if Output.isTerminal {
                Output.raw("\r" + line + "   ")
            } else if Int((now - start).components.seconds)
                != Int((now - start - .milliseconds(250)).components.seconds)
            {
                Output.line(line)
            }
            let waited = (now - start).components.seconds
            if done >= total || Double(waited) >= timeLimit {
                if Output.isTerminal { Output.line() }
                if !Output.isTerminal { Output.line(line) }
                return done >= total
            }
        }
    }

    /// Per kind, the rows past their active states (final) and all rows: what the progress line shows.
    private static func progress(_ store: WatchStore) async throws -> [(resource: String, done: Int, total: Int)] {
        var progress: [(resource: String, done: Int, total: Int)] = []
        for table in Setup.kinds.map(\.table) {
            let counts = try await store.stateCounts(table)
            let active = table.activeStates.reduce(0) { $0 + counts[$1, default: 0] }
            let total = counts.values.reduce(0, +)
            progress.append((table.resource, total - active, total))
        }
        return progress
    }

    /// Every row's transitions and URL or coupon name (or error), checked against the simulator's truth.
    static func printSummary(store: WatchStore, simulator: WeChatPaySimulator) async throws(CLIError) {
        var rows: [[String]] = []
        do {
            for kind in Setup.kinds {
                for outcome in try await store.outcomes(kind.table) {
                    let row = outcome.row
                    rows.append([
                        row.merchantID, row.resourceID, kind.cohort(of: row),
                        ([LocalState.pending] + outcome.transitions).joined(separator: " → "),
                        kind.describeResults(outcome.results) ?? outcome.error ?? "", row.state, kind.resource,
                    ])
                }
            }
        } catch {
            throw .runtime("cannot read the results: \(error)")
        }
        var mismatches = 0
        let table = rows.map { row -> [String] in
            let truth = simulator.resource(
                SimulatedAPI(rawValue: row[6]) ?? .imageGenerationTask, mchid: row[0], id: row[1])
            let expected = truth?.finalState ?? "REJECTED"
            if expected != row[5] { mismatches += 1 }
            return [row[0], row[1], row[2], row[3], row[4]]
        }
        Output.line("")
        Output.line(
            TextTable.render(
                header: ["MERCHANT", "TASK / COUPON", "TYPE", "TRANSITIONS", "IMAGE URL / COUPON NAME / ERROR"],
                rows: table))
        let statistics = simulator.statistics()
        Output.line("")
        Output.line(
            "requests \(statistics.totalRequests), throttled \(statistics.totalThrottled), largest number of requests in any 1 s "
                + "window per merchant and API \(statistics.maxRequestsInAnySecond), rows whose final state differs from the simulator's: \(mismatches)"
        )
    }
}
