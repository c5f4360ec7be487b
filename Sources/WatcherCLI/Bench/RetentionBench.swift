import Foundation
import WatcherLog
import WatcherSQLite
import WatcherStore
import WatcherSync
import WeChatPaySimulator

/// `bench --workload retention`: a database with a million rows final for a month and a thousand unfinished rows
/// polled at full rate. The real binary runs twice on it: first without retention, then with
/// `retention.final_row_days = 7`, until its first pass has deleted the million rows. Throughout, a producer inserts
/// a fresh task five times a second, timing each transaction (the lock wait) and the time until it sees the row
/// final (pick-up, poll and write: the poll latency a producer sees).
struct RetentionBench {
    var finalRows: Int
    var unfinishedRows: Int
    var baselineSeconds: Double
    var keep: Bool

    static let name = "retention"
    /// The baseline is measured after the daemon's start-up, as the pruning phase is (its first pass is 10 s in).
    static let warmUpSeconds = 10.0

    init(scale: Double, keep: Bool) {
        finalRows = max(1, Int(1_000_000 * scale))
        unfinishedRows = max(1, Int(1_000 * scale))
        baselineSeconds = max(30, 60 * scale)
        self.keep = keep
    }

    var description: String {
        "\(finalRows) rows final 30 days ago (2 transitions each) + \(unfinishedRows) unfinished rows polled at full "
            + "rate; retention.final_row_days 7"
    }

    func run() async throws(CLIError) -> Int32 {
        try await BenchFolder.run(keep: keep) { directory throws(CLIError) in
            Output.line("\n== \(Self.name): \(description)")
            do {
                return try await measure(in: directory)
            } catch let error as CLIError {
                throw error
            } catch {
                throw .runtime("the retention benchmark failed: \(error) (folder \(directory))")
            }
        }
    }

    private func measure(in directory: String) async throws -> Int32 {
        let folder = try SimulationFolder.prepare(directory: directory, merchantCount: 1)
        let simulator = WeChatPaySimulator(
            configuration: folder.simulatorConfiguration(
                seed: 42, durations: .fixed(1e9), failureRate: 0, createUnknown: true))
        let port = try simulator.start()
        defer { simulator.stop() }
        try folder.writeConfiguration(baseURL: "http://127.0.0.1:\(port)", logLevel: .info)
        try Setup.store(folder.database).close()
        let mchid = folder.merchants[0].mchid
        let seeding = Date()
        try seed(folder.database, mchid: mchid)
        let before = try storage(folder.database)
        Output.line(
            "   seeded in \(format(Date().timeIntervalSince(seeding), 1)) s: "
                + "\(PruneCommand.megabytes(before.fileBytes + before.walBytes))")
        let rewrite = try upgradeRewriteSeconds(folder.database)
        Output.line(
            "   the upgrade's one-time rewrite to incremental auto-vacuum (VACUUM) of this file: \(format(rewrite, 1)) s"
        )

        Output.line("   without the pruner, \(Int(baselineSeconds)) s…")
        let baseline = try await phase(folder: folder, simulator: simulator, days: 0, directory: directory) { _ in
            nil
        }
        Output.line("   with retention.final_row_days = 7, until the first pass is logged…")
        var pass: PassLine?
        let pruning = try await phase(folder: folder, simulator: simulator, days: 7, directory: directory) { log in
            pass = PassLine(log: log)
            return pass?.started
        }
        let after = try storage(folder.database)
        guard let pass, let baseline, let pruning else {
            throw CLIError.runtime("the daemon logged no retention.pruned line within an hour (folder \(directory))")
        }
        Output.line(report(baseline: baseline, pruning: pruning, pass: pass, before: before, after: after))
        return pass.rows == finalRows ? 0 : 1
    }

    /// Runs the daemon with `final_row_days = days` and the producer until `window` finds, in the log, when the
    /// measured window started (the baseline: after `baselineSeconds`); returns the figures over that window.
    private func phase(
        folder: SimulationFolder, simulator: WeChatPaySimulator, days: Int, directory: String,
        window: (String) -> Date?
    ) async throws -> PhaseFigures? {
        let text = try String(contentsOfFile: folder.configFile, encoding: .utf8)
        let retention = text.replacingOccurrences(
            of: #""final_row_days": \d+"#, with: "\"final_row_days\": \(days)", options: .regularExpression)
        try retention.write(toFile: folder.configFile, atomically: true, encoding: .utf8)
        let logStart = (try? String(contentsOfFile: folder.logFile, encoding: .utf8).utf8.count) ?? 0
        let child = try ChildProcess(
            executable: ChildProcess.currentExecutable, arguments: ["run", "--config", folder.configFile],
            outputFile: directory + "/stdout.log")
        defer { child.signal(SIGKILL) }
        let producer = BenchProducer(
            path: folder.database, mchid: folder.merchants[0].mchid, prefix: days == 0 ? "fresh_a" : "fresh_b",
            simulator: simulator)
        let started = Date()
        var requestSamples: [(at: Date, requests: Int)] = []
        var windowStart: Date?
        let limit = started.addingTimeInterval(3_600 + baselineSeconds)
        while Date() < limit {
            try await Task.sleep(for: .seconds(1))
            requestSamples.append((Date(), simulator.statistics().totalRequests))
            let log = String(
                decoding: (try? Data(contentsOf: URL(fileURLWithPath: folder.logFile)).dropFirst(logStart)) ?? Data(),
                as: UTF8.self)
            if days == 0, Date().timeIntervalSince(started) >= baselineSeconds {
                windowStart = started.addingTimeInterval(Self.warmUpSeconds)
                break
            }
            if days > 0, let start = window(log) {
                windowStart = start
                break
            }
        }
        let samples = producer.stop()
        child.signal(SIGTERM)
        _ = await child.wait(timeout: 60)
        guard let windowStart else { return nil }
        let end = requestSamples.last?.at ?? Date()
        let inWindow = requestSamples.filter { $0.at >= windowStart }
        let requests = (inWindow.last?.requests ?? 0) - (inWindow.first?.requests ?? 0)
        let seconds = (inWindow.last?.at ?? end).timeIntervalSince(inWindow.first?.at ?? end)
        return PhaseFigures(
            seconds: end.timeIntervalSince(windowStart),
            requestsPerSecond: seconds > 0 ? Double(requests) / seconds : 0,
            maxInAnySecond: simulator.statistics().maxRequestsInAnySecond,
            lockWaits: samples.lockWaits.filter { $0.at >= windowStart }.map(\.seconds),
            pickups: samples.pickups.filter { $0.at >= windowStart }.map(\.seconds))
    }

    /// The million final rows with their transitions, and the unfinished rows, due within the next minute.
    private func seed(_ path: String, mchid: String) throws {
        let connection = try SQLiteConnection(path: path)
        defer { connection.close() }
        let now = Date()
        var random = SeededRandom(seed: 17)
        try connection.transaction {
            for index in 0..<finalRows {
                let id = String(format: "done_%07d", index)
                let completed = Timestamp.rfc3339(now.addingTimeInterval(-30 * 86_400 + Double(index) / 100))
                let url = "https://wxpaylogo.qpic.cn/wxpaylogo/simulated/\(mchid)/\(id).jpg"
                try connection.run(
                    """
                    INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type, state,
                      image_url, created_at, updated_at, completed_at, poll_count, first_seen_at, last_polled_at)
                    VALUES (?, ?, '120344', 'COMBINE_IMAGE', 'SUCCESS', ?, ?, ?, ?, 3, ?, ?)
                    """,
                    [
                        .text(mchid), .text(id), .text(url), .text(completed), .text(completed), .text(completed),
                        .real(now.timeIntervalSince1970 - 30 * 86_400), .real(now.timeIntervalSince1970 - 30 * 86_400),
                    ])
                for (from, to, detail) in [("PENDING", "PROCESSING", nil), ("PROCESSING", "SUCCESS", url)] {
                    try connection.run(
                        """
                        INSERT INTO state_transitions (resource, merchant_id, resource_id, from_state, to_state, at,
                          detail) VALUES ('image_generation_task', ?, ?, ?, ?, ?, ?)
                        """,
                        [
                            .text(mchid), .text(id), .text(from), .text(to), .text(completed),
                            detail.map { .text($0) } ?? .null,
                        ])
                }
            }
            for index in 0..<unfinishedRows {
                try connection.run(
                    """
                    INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type, state,
                      first_seen_at, next_poll_at, poll_count, last_polled_at)
                    VALUES (?, ?, '120344', 'CUT_OUT', 'PROCESSING', ?, ?, 1, ?)
                    """,
                    [
                        .text(mchid), .text(String(format: "open_%07d", index)), .real(now.timeIntervalSince1970),
                        .real(now.timeIntervalSince1970 + random.unit() * 60), .real(now.timeIntervalSince1970),
                    ])
            }
        }
        try connection.run("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// Turns the database back into one from before the auto-vacuum migration, then times that migration.
    private func upgradeRewriteSeconds(_ path: String) throws -> Double {
        let connection = try SQLiteConnection(path: path)
        defer { connection.close() }
        let version = Retention.incrementalVacuumMigration.version
        try connection.execute("PRAGMA auto_vacuum = NONE; VACUUM; PRAGMA user_version = \(version - 1)")
        let started = Date()
        try Migrator.migrate(connection, kinds: Setup.kinds.map(\.schema))
        let seconds = Date().timeIntervalSince(started)
        try connection.run("PRAGMA wal_checkpoint(TRUNCATE)")
        return seconds
    }

    private func storage(_ path: String) throws -> StorageFigures {
        let connection = try SQLiteConnection(path: path, mode: .readOnly)
        defer { connection.close() }
        return try StorageFigures.read(connection)
    }

    private func report(
        baseline: PhaseFigures, pruning: PhaseFigures, pass: PassLine, before: StorageFigures, after: StorageFigures
    ) -> String {
        let header = [
            "phase", "seconds", "requests/s", "max/1s", "inserts", "lock wait p50 ms", "p99 ms", "max ms",
            "poll latency p50 ms", "p99 ms", "max ms",
        ]
        func row(_ name: String, _ figures: PhaseFigures) -> [String] {
            let waits = figures.lockWaits.sorted()
            let pickups = figures.pickups.sorted()
            func ms(_ values: [Double], _ p: Double) -> String {
                guard !values.isEmpty else { return "–" }
                return format(values[min(values.count - 1, Int((Double(values.count - 1) * p).rounded()))] * 1_000, 1)
            }
            return [
                name, format(figures.seconds, 1), format(figures.requestsPerSecond, 2), String(figures.maxInAnySecond),
                String(figures.lockWaits.count), ms(waits, 0.5), ms(waits, 0.99), ms(waits, 1), ms(pickups, 0.5),
                ms(pickups, 0.99), ms(pickups, 1),
            ]
        }
        var lines = [
            TextTable.render(header: header, rows: [row("without pruner", baseline), row("while pruning", pruning)])
        ]
        lines.append(
            "prune: \(pass.rows) rows and \(pass.transitions) transitions in \(format(pass.seconds, 1)) s "
                + "(\(format(Double(pass.rows) / max(pass.seconds, 0.001), 0)) rows/s), \(pass.freedPages) pages freed; "
                + "file \(PruneCommand.megabytes(before.fileBytes + before.walBytes)) → "
                + "\(PruneCommand.megabytes(after.fileBytes + after.walBytes)) (with its write-ahead log)")
        let latency = pruning.pickups.sorted()
        let base = baseline.pickups.sorted()
        if let p50 = latency.middle, let b50 = base.middle {
            lines.append("poll latency p50 while pruning ÷ without: \(format(p50 / b50, 2))×")
        }
        return lines.joined(separator: "\n")
    }

    private func format(_ value: Double, _ places: Int) -> String { String(format: "%.\(places)f", value) }
}

/// The figures of one phase, over its measured window.
private struct PhaseFigures {
    var seconds: Double
    var requestsPerSecond: Double
    var maxInAnySecond: Int
    var lockWaits: [Double]
    var pickups: [Double]
}

/// The daemon's `retention.pruned` line: what the pass removed and when it started.
private struct PassLine {
    var rows: Int
    var transitions: Int
    var freedPages: Int
    var seconds: Double
    var started: Date

    /// The first `retention.pruned` line of `log` that removed something.
    init?(log: String) {
        for line in log.split(separator: "\n") where line.contains(" retention.pruned ") {
            var fields: [String: String] = [:]
            for part in line.split(separator: " ") {
                let pair = part.split(separator: "=", maxSplits: 1)
                if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
            }
            guard let rows = fields["rows"].flatMap({ Int($0) }), rows > 0,
                let seconds = fields["seconds"].flatMap({ Double($0) }),
                let at = line.split(separator: " ").first.flatMap({ Timestamp.parse(String($0)) })
            else { continue }
            self.rows = rows
            transitions = fields["transitions"].flatMap { Int($0) } ?? 0
            freedPages = fields["freed_pages"].flatMap { Int($0) } ?? 0
            self.seconds = seconds
            started = at.addingTimeInterval(-seconds)
            return
        }
        return nil
    }
}

/// A producer on its own thread (SQLite blocks): inserts a fresh task every 200 ms in its own transaction, timing
/// the transaction, and watches its fresh rows until each is final.
private final class BenchProducer: @unchecked Sendable {
    // @unchecked Sendable: `samples` is written by the thread only and read after `stop()` joined it through
    // `finished`; `stopping` is behind a lock.
    struct Samples {
        var lockWaits: [(at: Date, seconds: Double)] = []
        var pickups: [(at: Date, seconds: Double)] = []
    }

    private let stopping = Locked(false)
    private let finished = DispatchSemaphore(value: 0)
    private var samples = Samples()

    init(path: String, mchid: String, prefix: String, simulator: WeChatPaySimulator) {
        Thread { [self] in
            produce(path: path, mchid: mchid, prefix: prefix, simulator: simulator)
            finished.signal()
        }.start()
    }

    func stop() -> Samples {
        stopping.withLock { $0 = true }
        finished.wait()
        return samples
    }

    private func produce(path: String, mchid: String, prefix: String, simulator: WeChatPaySimulator) {
        guard let connection = try? SQLiteConnection(path: path) else { return }
        defer { connection.close() }
        connection.setBusyTimeout(milliseconds: 10_000)
        var outstanding: [(id: String, inserted: Date)] = []
        var next = Date()
        var index = 0
        while !stopping.withLock({ $0 }) {
            if Date() >= next {
                let id = prefix + String(format: "_%06d", index)
                index += 1
                simulator.register([
                    SimulatedResource(
                        api: .imageGenerationTask, mchid: mchid, id: id, brandID: "120344",
                        imageGenerationType: "CUT_OUT", createdAt: Date(), duration: 0, outcome: .success)
                ])
                let started = Date()
                do {
                    try connection.transaction {
                        try connection.run(
                            """
                            INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type)
                            VALUES (?, ?, '120344', 'CUT_OUT')
                            """,
                            [.text(mchid), .text(id)])
                    }
                    let done = Date()
                    samples.lockWaits.append((done, done.timeIntervalSince(started)))
                    outstanding.append((id, done))
                } catch {
                    Output.error("   producer: \(error)")
                }
                next = started.addingTimeInterval(0.2)
            }
            outstanding.removeAll { row in
                let state = try? connection.scalar(
                    "SELECT state FROM image_generation_tasks WHERE merchant_id = ? AND task_id = ?",
                    [.text(mchid), .text(row.id)]
                ).stringValue
                guard state == "SUCCESS" else { return false }
                samples.pickups.append((Date(), Date().timeIntervalSince(row.inserted)))
                return true
            }
            usleep(5_000)
        }
    }
}

extension Array where Element == Double {
    /// The median of a sorted array.
    fileprivate var middle: Double? { isEmpty ? nil : self[count / 2] }
}
