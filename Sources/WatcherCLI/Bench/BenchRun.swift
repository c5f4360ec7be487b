import Foundation
import WatcherSQLite
import WatcherSync
import WeChatPaySimulator

/// One run: a fresh folder, simulator and database; the watcher binary as a child process; the figures.
final class BenchRun {
    /// The seed of a real run's plan unless `--seed` names another: `bench --simulated --seed` replays the same plan.
    static let planSeed: UInt64 = 42

    var workload: BenchWorkload
    var policy: String
    var keep: Bool
    /// The plan's seed (and the simulator's).
    var seed: UInt64
    /// Product coupons' true final states, by `merchant/id`.
    private let couponTruth = Locked([String: (state: String, completesAt: Double)]())

    init(workload: BenchWorkload, policy: String, keep: Bool, seed: UInt64 = BenchRun.planSeed) {
        self.workload = workload
        self.policy = policy
        self.keep = keep
        self.seed = seed
    }

    func run() async throws(CLIError) -> BenchResult {
        try await BenchFolder.run(keep: keep) { directory throws(CLIError) in
            do {
                return try await measure(in: directory)
            } catch let error as CLIError {
                throw error
            } catch {
                throw .runtime("the \(workload.name) run with \(policy) failed: \(error)")
            }
        }
    }

    private func measure(in directory: String) async throws -> BenchResult {
        let folder = try SimulationFolder.prepare(directory: directory, merchantCount: workload.merchants)
        var configuration = folder.simulatorConfiguration(
            seed: seed, durations: workload.durations, failureRate: workload.failureRate,
            createUnknown: workload.watchedRows > 0)
        // Measured over TLS, the way production pays for every request.
        configuration.tls = try folder.prepareTLS()
        let simulator = WeChatPaySimulator(configuration: configuration)
        if workload.faultProbability > 0 {
            var probabilities: [Fault: Double] = [:]
            for fault in Fault.allCases { probabilities[fault] = workload.faultProbability }
            simulator.setFaults(FaultPlan(probabilities: probabilities, slowAnswerSeconds: 1))
        }
        try simulator.start()
        defer { simulator.stop() }
        try folder.writeConfiguration(baseURL: simulator.baseURL ?? "", caFile: folder.caFile, logLevel: .info)
        try Setup.store(folder.database).close()
        let producer = try SQLiteConnection(path: folder.database)
        producer.setBusyTimeout(milliseconds: 30_000)
        defer { producer.close() }

        let plan = workload.plan(seed: seed)
        var serial = 0
        func resource(_ planned: PlannedResource) -> SimulatedResource {
            serial += 1
            let mchid = folder.merchants[planned.merchant].mchid
            let id =
                planned.api == .productCoupon
                ? String(1_000_000_000 + serial)
                : String(format: planned.arrival == nil ? "backlog_%07d" : "steady_%07d", serial)
            return SimulatedResource(
                api: planned.api, mchid: mchid, id: id, brandID: "120344", imageGenerationType: planned.type,
                createdAt: Date(), duration: planned.duration, outcome: planned.fails ? .failure : .success)
        }
        let initial = plan.filter { $0.arrival == nil }.map(resource)
        let initialTasks = initial.filter { $0.api == .imageGenerationTask }
        var resources = initialTasks
        simulator.register(initial)
        try insert(initialTasks, into: producer)
        try insertCoupons(initial.filter { $0.api == .productCoupon }, into: producer)
        if workload.watchedRows > 0 {
            try insertWatched(workload.watchedRows, merchants: folder.merchants.map(\.mchid), into: producer)
        }

        let started = Date()
        let child = try ChildProcess(
            executable: ChildProcess.currentExecutable,
            arguments: ["run", "--config", folder.configFile, "--scheduler", policy],
            outputFile: directory + "/stdout.log")
        var result = BenchResult(policy: policy)
        result.readySeconds = await waitForReady(logFile: folder.logFile, since: started)

        let arrivals = plan.filter { $0.arrival != nil }.sorted { $0.arrival! < $1.arrival! }
        var next = 0
        while next < arrivals.count {
            let due = started.addingTimeInterval(arrivals[next].arrival!)
            let wait = due.timeIntervalSinceNow
            if wait > 0 { try await Task.sleep(for: .milliseconds(Int64(wait * 1000))) }
            // Everything due by now goes in one transaction: a burst is one commit, as a producer would write it.
            var batch: [SimulatedResource] = []
            while next < arrivals.count, started.addingTimeInterval(arrivals[next].arrival!) <= Date() {
                batch.append(resource(arrivals[next]))
                next += 1
            }
            resources += batch
            simulator.register(batch)
            try insert(batch, into: producer)
        }
        if workload.drains {
            let limit = Date().addingTimeInterval(600)
            while try unfinished(producer) > 0, Date() < limit { try await Task.sleep(for: .milliseconds(100)) }
        } else {
            for index in 0..<workload.freshRows {
                let task = SimulatedResource(
                    api: .imageGenerationTask, mchid: folder.merchants[0].mchid,
                    id: String(format: "fresh_%07d", index), brandID: "120344", imageGenerationType: "COMBINE_IMAGE",
                    createdAt: Date(), duration: 0, outcome: .success)
                simulator.register([task])
                let inserted = Date()
                try insert([task], into: producer)
                let limit = inserted.addingTimeInterval(10)
                while Date() < limit {
                    // By primary key: on `task_id` alone this probe scanned the whole table every 2 ms, and at a
                    // million rows that scan, not the watcher, was what grew with the table.
                    if try producer.scalar(
                        """
                        SELECT last_polled_at IS NOT NULL FROM image_generation_tasks
                        WHERE merchant_id = ? AND task_id = ?
                        """,
                        [.text(task.mchid), .text(task.id)]) == .integer(1)
                    {
                        result.pickups.append(Date().timeIntervalSince(inserted))
                        break
                    }
                    try await Task.sleep(for: .milliseconds(2))
                }
                try await Task.sleep(
                    for: .milliseconds(Int64(max(0, 500 - Date().timeIntervalSince(inserted) * 1000))))
            }
            try await sampleEachMinute(child, simulator: simulator, since: started, into: &result)
        }
        if workload.idleSeconds > 0 {
            // The last answers settle first, with the one pending count and refresh they call for (a count every 5 s
            // at most), so the window holds nothing but what the daemon does at rest.
            try await Task.sleep(for: .seconds(10))
            let before = Self.cpuSeconds(of: child.pid)
            let from = Date()
            try await Task.sleep(for: .milliseconds(Int64(workload.idleSeconds * 1000)))
            let elapsed = Date().timeIntervalSince(from)
            if let before, let after = Self.cpuSeconds(of: child.pid) {
                result.idleShareOfCore = (after - before) / elapsed
            }
        }
        child.signal(SIGTERM)
        guard let exit = await child.wait(timeout: 60) else {
            child.signal(SIGKILL)
            throw CLIError.runtime("the watcher did not stop within 60 s of SIGTERM (folder \(directory))")
        }
        result.exitStatus = exit.status
        result.cpuSeconds = exit.cpuSeconds
        result.peakResidentBytes = exit.peakResidentBytes

        let statistics = simulator.statistics()
        result.requests = statistics.totalRequests
        result.throttled = statistics.totalThrottled
        result.maxInAnySecond = statistics.maxRequestsInAnySecond
        result.lanes = statistics.lanes.values.filter { $0.requests > 0 }.count
        result.tasks = resources.count + initial.count - initialTasks.count
        if workload.drains {
            let last = try producer.scalar(
                """
                SELECT max(at) FROM (
                  SELECT max((julianday(completed_at) - 2440587.5) * 86400.0) AS at FROM image_generation_tasks
                  UNION ALL SELECT max((julianday(completed_at) - 2440587.5) * 86400.0) FROM product_coupons)
                """)
            result.drainSeconds = last.doubleValue.map { $0 - started.timeIntervalSince1970 }
            if arrivals.isEmpty, workload.durations == .fixed(0) {
                result.boundSeconds = Double(workload.initialTasksPerMerchant) / 20
            }
        }
        try collectRows(producer, resources: resources, into: &result)
        return result
    }

    /// Reads the watcher's RSS, threads and descriptors at every whole minute after its start until the observation
    /// ends, printing each reading as it is taken: a 30-minute run shows its progress, and a cut one still leaves
    /// figures.
    private func sampleEachMinute(
        _ child: ChildProcess, simulator: WeChatPaySimulator, since started: Date, into result: inout BenchResult
    ) async throws {
        var previous = (at: started, requests: 0)
        for minute in stride(from: 1, through: Int(workload.observeSeconds / 60), by: 1) {
            let wait = started.addingTimeInterval(Double(minute) * 60).timeIntervalSinceNow
            if wait > 0 { try await Task.sleep(for: .milliseconds(Int64(wait * 1000))) }
            let now = Date()
            let sample = ResourceSample(
                minute: minute, residentBytes: Self.statusField("VmRSS", of: child.pid).map { $0 * 1024 },
                anonymousBytes: Self.statusField("RssAnon", of: child.pid).map { $0 * 1024 },
                threads: Self.statusField("Threads", of: child.pid), descriptors: Self.openDescriptors(of: child.pid),
                requests: simulator.statistics().totalRequests)
            let rate = Double(sample.requests - previous.requests) / max(1e-3, now.timeIntervalSince(previous.at))
            previous = (now, sample.requests)
            result.samples.append(sample)
            func megabytes(_ bytes: Int?) -> String {
                bytes.map { BenchCommand.format(Double($0) / 1_048_576, 1) } ?? "–"
            }
            func count(_ value: Int?) -> String { value.map(String.init) ?? "–" }
            Output.line(
                "   minute \(minute): RSS \(megabytes(sample.residentBytes)) MB "
                    + "(anonymous \(megabytes(sample.anonymousBytes))), \(count(sample.threads)) threads, "
                    + "\(count(sample.descriptors)) fds, \(BenchCommand.format(rate, 1)) requests/s")
        }
        let remaining = workload.observeSeconds - Date().timeIntervalSince(started)
        if remaining > 0 { try await Task.sleep(for: .milliseconds(Int64(remaining * 1000))) }
    }

    private func insert(_ tasks: [SimulatedResource], into connection: SQLiteConnection) throws {
        try connection.transaction {
            for task in tasks {
                try connection.run(
                    """
                    INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type)
                    VALUES (?, ?, ?, ?)
                    """,
                    [.text(task.mchid), .text(task.id), .text(task.brandID), .text(task.imageGenerationType ?? "")])
            }
        }
    }

    private func insertCoupons(_ coupons: [SimulatedResource], into connection: SQLiteConnection) throws {
        try connection.transaction {
            for coupon in coupons {
                try connection.run(
                    "INSERT INTO product_coupons (merchant_id, product_coupon_id, brand_id) VALUES (?, ?, ?)",
                    [.text(coupon.mchid), .text(coupon.id), .text(coupon.brandID)])
            }
        }
        guard !coupons.isEmpty else { return }
        couponTruth.withLock {
            $0 = Dictionary(
                uniqueKeysWithValues: coupons.map {
                    ($0.mchid + "/" + $0.id, (state: $0.finalState, completesAt: $0.completesAt.timeIntervalSince1970))
                })
        }
    }

    /// Rows a previous run of the watcher already polled once, due again at random times.
    private func insertWatched(_ count: Int, merchants: [String], into connection: SQLiteConnection) throws {
        let now = Date().timeIntervalSince1970
        // The soak keeps every lane busy: rows fall due within the first minute. The large queue is quiet: due
        // one to two hours on, however long the insert takes, so what is measured is the cost of the queue's size,
        // not of polling it.
        let busy = workload.faultProbability > 0
        let (dueFrom, dueSpread) = busy ? (now, 60.0) : (now + 3_600, 3_600.0)
        var random = SeededRandom(seed: 9)
        try connection.transaction {
            for index in 0..<count {
                try connection.run(
                    """
                    INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type, state,
                      first_seen_at, next_poll_at, poll_count, last_polled_at)
                    VALUES (?, ?, '120344', 'COMBINE_IMAGE', 'PROCESSING', ?, ?, 1, ?)
                    """,
                    [
                        .text(merchants[index % merchants.count]), .text(String(format: "queued_%07d", index)),
                        .real(now),
                        .real(dueFrom + random.unit() * dueSpread), .real(now),
                    ])
            }
        }
    }

    private func unfinished(_ connection: SQLiteConnection) throws -> Int {
        let tasks = try connection.scalar(
            "SELECT count(*) FROM image_generation_tasks WHERE state IN ('PENDING', 'PROCESSING')")
        let coupons = try connection.scalar(
            "SELECT count(*) FROM product_coupons WHERE state IN ('PENDING', 'AUDITING')")
        return Int((tasks.int64Value ?? 0) + (coupons.int64Value ?? 0))
    }

    /// Detection latencies of tasks that finished while watched, and rows whose final state is not the truth.
    private func collectRows(
        _ connection: SQLiteConnection, resources: [SimulatedResource], into result: inout BenchResult
    ) throws {
        var completed: [String: (state: String, at: Double?)] = [:]
        for row in try connection.query(
            """
            SELECT merchant_id, task_id, state, (julianday(completed_at) - 2440587.5) * 86400.0
            FROM image_generation_tasks WHERE task_id NOT LIKE 'queued_%'
            """)
        {
            completed[(row[0].stringValue ?? "") + "/" + (row[1].stringValue ?? "")] = (
                row[2].stringValue ?? "", row[3].doubleValue
            )
        }
        for row in try connection.query(
            """
            SELECT merchant_id, product_coupon_id, state, (julianday(completed_at) - 2440587.5) * 86400.0
            FROM product_coupons
            """)
        {
            let key = (row[0].stringValue ?? "") + "/" + (row[1].stringValue ?? "")
            guard let truth = couponTruth.withLock({ $0[key] }) else { continue }
            if truth.state != row[2].stringValue { result.wrongRows += 1 }
            if workload.durations != .fixed(0), let at = row[3].doubleValue {
                result.latencies.append(at - truth.completesAt)
            }
        }
        for resource in resources {
            guard let row = completed[resource.mchid + "/" + resource.id] else { continue }
            if workload.drains, row.state != resource.finalState { result.wrongRows += 1 }
            if workload.durations != .fixed(0), let at = row.at {
                result.latencies.append(at - resource.completesAt.timeIntervalSince1970)
            }
        }
    }

    /// The number in field `name` of `/proc/PID/status` (kB for sizes such as `VmRSS`, a count for `Threads`).
    static func statusField(_ name: String, of pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            return line.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }.first
        }
        return nil
    }

    /// User plus system CPU seconds of every thread of the process so far, from `/proc/PID/stat`.
    static func cpuSeconds(of pid: pid_t) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return nil }
        // After the command name in parentheses: state is field 3, utime 14 and stime 15, in clock ticks.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Entries in `/proc/PID/fd`.
    static func openDescriptors(of pid: pid_t) -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }

    private func waitForReady(logFile: String, since started: Date) async -> Double? {
        let limit = started.addingTimeInterval(60)
        while Date() < limit {
            if let text = try? String(contentsOfFile: logFile, encoding: .utf8), text.contains("engine.started") {
                return Date().timeIntervalSince(started)
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }
}
