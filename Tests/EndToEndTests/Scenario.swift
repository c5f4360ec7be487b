import Foundation
import LoopbackHTTPServer
import WatcherSQLite
import WatcherSync
import WatcherTestSupport
import WeChatPaySimulator

/// One end-to-end setting: a folder with keys and a config, an in-process simulator, and the database the
/// watcher binary will work on.
final class Scenario: Sendable {
    let directory: TemporaryDirectory
    let folder: SimulationFolder
    let simulator: WeChatPaySimulator
    let baseURL: String
    /// The `api.ca_file` of the config: the CA that signed the simulator's certificate; nil for plain HTTP.
    let caFile: String?
    /// The watcher's database: `folder.database` unless the scenario put it in a subfolder.
    let database: String
    /// Every daemon this scenario started, so none outlives a test that failed before stopping it.
    private let daemons = Locked<[WatcherProcess]>([])

    /// Prepares keys for `merchants` merchants, starts a simulator, writes the watcher's config.
    ///
    /// The simulator speaks TLS with the folder's certificate and the config trusts its CA through `api.ca_file`,
    /// as production does; `tls: .plain` keeps plain HTTP, `.custom` serves another certificate.
    init(
        merchants: Int = 1,
        durations: DurationModel = .fixed(0),
        faults: FaultPlan = FaultPlan(),
        createUnknown: Bool = false,
        databaseSubfolder: String? = nil,
        tls: ScenarioTLS = .simulator,
        configure: (inout SimulatorConfiguration) -> Void = { _ in }
    ) throws {
        directory = TemporaryDirectory(prefix: "wechatpay-watcher-e2e")
        folder = try SimulationFolder.prepare(directory: directory.path, merchantCount: merchants)
        var configuration = folder.simulatorConfiguration(
            seed: 11, durations: durations, failureRate: 0.1, createUnknown: createUnknown)
        configuration.faults = faults
        switch tls {
        case .plain: break
        case .simulator: configuration.tls = try folder.prepareTLS()
        case .custom(let server, let trusted):
            configuration.tls = server
            try trusted.write(toFile: folder.caFile, atomically: true, encoding: .utf8)
        }
        configure(&configuration)
        simulator = WeChatPaySimulator(configuration: configuration)
        try simulator.start()
        baseURL = simulator.baseURL ?? ""
        caFile = configuration.tls == nil ? nil : folder.caFile
        try folder.writeConfiguration(baseURL: baseURL, caFile: caFile, logLevel: .debug)
        let root = directory.path
        let subfolder = databaseSubfolder.map { root + "/" + $0 }
        database = subfolder.map { $0 + "/watcher.sqlite3" } ?? folder.database
        if let subfolder {
            try FileManager.default.createDirectory(atPath: subfolder, withIntermediateDirectories: true)
            let (from, to) = (folder.database, database)
            try editConfiguration { $0.replacingOccurrences(of: from, with: to) }
        }
    }

    /// Rewrites the watcher's configuration file through `change`.
    func editConfiguration(_ change: (String) -> String) throws {
        let text = try String(contentsOfFile: folder.configFile, encoding: .utf8)
        try change(text).write(toFile: folder.configFile, atomically: true, encoding: .utf8)
    }

    deinit {
        // A test that failed half-way leaves its daemon running; kill it before its folder goes.
        let started = daemons.withLock { $0 }
        for daemon in started where daemon.process.isRunning {
            daemon.signal(SIGKILL)
            daemon.process.waitUntilExit()
        }
        simulator.stop()
        // WECHATPAY_WATCHER_KEEP_E2E=1 keeps each scenario's folder (log, database, config) for a post-mortem.
        if ProcessInfo.processInfo.environment["WECHATPAY_WATCHER_KEEP_E2E"] == nil { directory.remove() }
    }

    var mchid: String { folder.merchants[0].mchid }

    /// Runs `wechatpay-watcher ARGS` to completion.
    func run(_ arguments: [String], timeout: Double = 60) async throws -> (status: Int32, output: String, error: String)
    {
        try await WatcherProcess.run(arguments, in: directory.path, timeout: timeout)
    }

    /// Starts `wechatpay-watcher run --config …` in the background.
    func startDaemon(environment: [String: String] = [:], extra: [String] = []) throws -> WatcherProcess {
        let daemon = try WatcherProcess.start(
            ["run", "--config", folder.configFile] + extra, in: directory.path, environment: environment)
        daemons.withLock { $0.append(daemon) }
        return daemon
    }

    /// Waits until every row is final (at most `timeout` seconds, times the test time scale), then stops `daemon`
    /// with `signal` and waits for it to exit: whether the rows drained, and the exit status.
    func drainThenStop(_ daemon: WatcherProcess, timeout: Double, signal: Int32 = SIGTERM) async throws -> (
        drained: Bool, exitStatus: Int32
    ) {
        let drained = try await eventually(timeout: timeout) { try self.unfinishedCount() == 0 }
        daemon.signal(signal)
        do {
            return (drained, try await daemon.wait(timeout: 20))
        } catch {
            // A daemon that does not stop is the failure to explain: say what it was doing.
            let unfinished = (try? unfinishedCount()).map(String.init) ?? "unknown"
            let lastLines = log.split(separator: "\n").suffix(40).joined(separator: "\n")
            throw ScenarioError(
                "\(error); drained: \(drained), unfinished rows: \(unfinished); the log's last lines:\n\(lastLines)")
        }
    }

    /// Registers tasks with the simulator and inserts their rows, as a producer would.
    func addTasks(_ resources: [SimulatedResource]) throws {
        simulator.register(resources)
        try insertRows(resources.map { ($0.mchid, $0.id, $0.brandID, $0.imageGenerationType ?? "COMBINE_IMAGE") })
    }

    /// Inserts rows with only the four identifying columns.
    func insertRows(_ rows: [(mchid: String, taskID: String, brand: String, type: String)]) throws {
        let connection = try openDatabase()
        defer { connection.close() }
        try connection.transaction {
            for row in rows {
                try connection.run(
                    "INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type) VALUES (?, ?, ?, ?)",
                    [.text(row.mchid), .text(row.taskID), .text(row.brand), .text(row.type)]
                )
            }
        }
    }

    /// Opens the watcher's database (creating the schema with `migrate` first if needed).
    func openDatabase() throws -> SQLiteConnection {
        let connection = try SQLiteConnection(path: database)
        connection.setBusyTimeout(milliseconds: 10_000)
        return connection
    }

    /// Makes `count` tasks for merchant `mchid` with known fates.
    func tasks(
        _ count: Int, mchid: String? = nil, prefix: String = "task", durations: DurationModel = .fixed(0),
        failEvery: Int = 10
    )
        -> [SimulatedResource]
    {
        var random = SeededRandom(seed: 5, key: prefix)
        let now = Date()
        return (0..<count).map { index in
            SimulatedResource(
                api: .imageGenerationTask,
                mchid: mchid ?? self.mchid,
                id: "\(prefix)_\(String(format: "%05d", index))",
                brandID: "120344",
                imageGenerationType: index % 2 == 0 ? "COMBINE_IMAGE" : "CUT_OUT",
                createdAt: now,
                duration: durations.draw(&random),
                outcome: index % failEvery == failEvery - 1 ? .failure : .success
            )
        }
    }

    /// Rows still being watched.
    func unfinishedCount() throws -> Int {
        let connection = try openDatabase()
        defer { connection.close() }
        return Int(
            try connection.scalar(
                "SELECT count(*) FROM image_generation_tasks WHERE state IN ('PENDING', 'PROCESSING')"
            ).int64Value ?? -1)
    }

    /// The rows still being watched, with their failures in a row and when they are due next.
    func unfinishedRows() throws -> [(id: String, failures: Int, nextPollAt: Double)] {
        let connection = try openDatabase()
        defer { connection.close() }
        return try connection.query(
            """
            SELECT merchant_id || '/' || task_id, failure_count, next_poll_at FROM image_generation_tasks
            WHERE state IN ('PENDING', 'PROCESSING')
            """
        ).map { row in
            (row[0].stringValue ?? "", Int(row[1].int64Value ?? -1), row[2].doubleValue ?? -1)
        }
    }

    /// Every row: id → (state, image_url, error).
    func rows() throws -> [String: (state: String, url: String?, error: String?)] {
        let connection = try openDatabase()
        defer { connection.close() }
        var result: [String: (String, String?, String?)] = [:]
        for row in try connection.query(
            "SELECT merchant_id, task_id, state, image_url, error FROM image_generation_tasks")
        {
            result["\(row[0].stringValue ?? "")/\(row[1].stringValue ?? "")"] = (
                row[2].stringValue ?? "", row[3].stringValue, row[4].stringValue
            )
        }
        return result
    }

    /// Every transition, grouped by resource id, in order.
    func transitions() throws -> [String: [(from: String, to: String)]] {
        let connection = try openDatabase()
        defer { connection.close() }
        var result: [String: [(String, String)]] = [:]
        for row in try connection.query(
            "SELECT merchant_id, resource_id, from_state, to_state FROM state_transitions ORDER BY id")
        {
            result["\(row[0].stringValue ?? "")/\(row[1].stringValue ?? "")", default: []].append(
                (row[2].stringValue ?? "", row[3].stringValue ?? ""))
        }
        return result
    }

    /// The daemon's log.
    var log: String { (try? String(contentsOfFile: folder.logFile, encoding: .utf8)) ?? "" }
}

/// How a scenario's simulator serves.
enum ScenarioTLS {
    /// Plain HTTP.
    case plain
    /// HTTPS with the simulation folder's certificate for 127.0.0.1 and localhost, its CA in `api.ca_file`.
    case simulator
    /// HTTPS with `server`; `trusted` (a CA certificate PEM) becomes the config's `api.ca_file`.
    case custom(server: ServerTLSConfiguration, trusted: String)
}

/// `WECHATPAY_WATCHER_LONG=N` multiplies the size of the fault, crash and contention scenarios by N: the long
/// versions RELIABILITY.md records (`WECHATPAY_WATCHER_LONG=10 swift test --filter EndToEndTests`).
let longRunFactor = max(1, Int(ProcessInfo.processInfo.environment["WECHATPAY_WATCHER_LONG"] ?? "") ?? 1)

/// Prints one line of figures for RELIABILITY.md.
func report(_ scenario: String, _ figures: KeyValuePairs<String, Any>) {
    print("figures \(scenario): " + figures.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
}
