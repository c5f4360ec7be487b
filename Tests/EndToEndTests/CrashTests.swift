import Foundation
import Testing
import WatcherSQLite
import WeChatPaySimulator

@Suite("End to end: crashes and a busy database lose nothing and double nothing", .serialized)
struct CrashTests {
    @Test("kill -9 at random moments of a busy drain, three times, then a restart: every row true, no transition twice")
    func killNineAndRestart() async throws {
        let scenario = try Scenario(merchants: 2)
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        let second = scenario.folder.merchants[1].mchid
        try scenario.addTasks(
            scenario.tasks(120 * longRunFactor, durations: .uniform(0, 4))
                + scenario.tasks(120 * longRunFactor, mchid: second, prefix: "other", durations: .uniform(0, 4)))
        var random = SeededRandom(seed: 23)
        let kills = 3 * longRunFactor
        let total = try scenario.unfinishedCount()
        for round in 0..<kills {
            let daemon = try scenario.startDaemon()
            // Killed once this round's share of the rows is final, plus a random moment: on progress, not on a sleep,
            // so a slow machine cannot let the whole drain finish before the last kill.
            let target = total * (round + 1) / (kills + 2)
            let pause = random.unit() * 0.3
            // From a thread of its own: tests running beside this one can keep the cooperative pool busy for seconds.
            await killedOnProgress(pid: daemon.process.processIdentifier, delay: pause) {
                (try? total - scenario.unfinishedCount() >= target) ?? false
            }
            let status = try await daemon.wait(timeout: 10)
            #expect(status == SIGKILL, "round \(round): killed, not exited")
        }
        let unfinishedAfterKills = try scenario.unfinishedCount()
        // The last run must really start (log one more engine.started line) before it is asked to stop.
        let startsBefore = scenario.log.components(separatedBy: "engine.started").count
        let daemon = try scenario.startDaemon()
        let started = await eventually(timeout: 20) {
            scenario.log.components(separatedBy: "engine.started").count > startsBefore
        }
        let (drained, exitStatus) = try await scenario.drainThenStop(daemon, timeout: 90 * Double(longRunFactor))
        #expect(exitStatus == 0)
        #expect(started)
        #expect(drained)
        #expect(unfinishedAfterKills > 0, "the kills interrupted real work")
        let found = try problems(in: scenario)
        #expect(found == [])
        let transitions = try scenario.transitions().values.reduce(0) { $0 + $1.count }
        report(
            "kill-9",
            [
                "rows": try scenario.rows().count, "kills": kills, "unfinished_after_kills": unfinishedAfterKills,
                "transitions": transitions, "wrong_or_doubled": found.count,
            ])
    }

    /// Starts the daemon while a producer holds `BEGIN EXCLUSIVE`: setting the database up waits (SQLite's busy
    /// timeout) for that lock, so the daemon stays in start-up until `holder` rolls back. `opening` says whether it
    /// got as far as opening the database.
    private func startHeldInStartUp(_ scenario: Scenario) async throws -> (
        daemon: WatcherProcess, holder: SQLiteConnection, opening: Bool
    ) {
        let holder = try scenario.openDatabase()
        try holder.execute("BEGIN EXCLUSIVE")
        let daemon = try scenario.startDaemon()
        let opening = await eventually(timeout: 10) { daemon.hasOpen(scenario.database) }
        return (daemon, holder, opening)
    }

    @Test("SIGTERM while start-up waits for a locked database: exit 0 with a line on stderr, not a silent kill")
    func sigtermDuringStartUp() async throws {
        let scenario = try Scenario()
        let (daemon, holder, opening) = try await startHeldInStartUp(scenario)
        defer { holder.close() }
        daemon.signal(SIGTERM)
        let status = try await daemon.wait(timeout: 10)
        try holder.execute("ROLLBACK")
        #expect(opening)
        #expect(status == 0, "an orderly exit, not the signal's default action")
        #expect(daemon.errorOutput.contains("SIGTERM during start-up"), "\(daemon.errorOutput)")
        #expect(!scenario.log.contains("engine.started"))
    }

    @Test("SIGHUP while start-up waits (logrotate's reload at a bad moment): the daemon starts, then reloads")
    func sighupDuringStartUp() async throws {
        let scenario = try Scenario()
        let (daemon, holder, opening) = try await startHeldInStartUp(scenario)
        defer { holder.close() }
        daemon.signal(SIGHUP)
        try await Task.sleep(for: .milliseconds(300))
        let survived = daemon.process.isRunning
        try holder.execute("ROLLBACK")
        let reloaded = await eventually(timeout: 20) { scenario.log.contains("config.reloaded") }
        #expect(opening)
        #expect(survived, "SIGHUP's default action would have ended it: \(daemon.errorOutput)")
        #expect(reloaded, "the reload asked for during start-up is done once it is up")
        #expect(scenario.log.contains("engine.started"))
        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)
    }

    @Test("a stop and an immediate start stay within 20 a second as the server counts: the new instance waits")
    func restartAtOnce() async throws {
        let scenario = try Scenario(durations: .uniform(30, 60))
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addTasks(scenario.tasks(200))
        let first = try scenario.startDaemon()
        // 200 first polls: a backlog that keeps the budget spent when the stop comes.
        let busy = await eventually(timeout: 20) { scenario.simulator.statistics().totalRequests >= 60 }
        first.signal(SIGTERM)
        #expect(try await first.wait(timeout: 20) == 0)
        let atRestart = scenario.simulator.statistics().totalRequests
        let reader = try scenario.openDatabase()
        let stopped = try #require(
            try reader.query("SELECT (julianday(stopped_at) - 2440587.5) * 86400 FROM watcher_process WHERE id = 1")
                .first?[0].doubleValue, "the first instance recorded its stop")
        reader.close()
        let second = try scenario.startDaemon()
        let polling = await eventually(timeout: 20) { scenario.simulator.statistics().totalRequests > atRestart }
        // Seen up to one look (0.1 s) late: at or after the second instance's first request.
        let quietSeconds = Date().timeIntervalSince1970 - stopped
        let resumed = await eventually(timeout: 20) { scenario.simulator.statistics().totalRequests >= atRestart + 40 }
        second.signal(SIGTERM)
        #expect(try await second.wait(timeout: 20) == 0)
        #expect(busy && polling)
        // A start slowed past the first instance's last second (a loaded machine) has nothing left to wait out: it
        // holds only while less than 1.1 s have passed since the recorded stop.
        #expect(
            scenario.log.contains("engine.start_held") || quietSeconds >= 1.1,
            "the second instance holds back while the first one's last second is still counted: no hold, and its first request within \(quietSeconds) s of the stop"
        )
        #expect(resumed, "and then polls at the full rate")
        #expect(scenario.simulator.statistics().maxRequestsInAnySecond <= 20)
    }

    @Test("a producer holding the write lock for seconds: answers wait in memory, the episode is logged once")
    func producerHoldsTheLock() async throws {
        let scenario = try Scenario()
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        let daemon = try scenario.startDaemon()
        #expect(await eventually(timeout: 20) { scenario.log.contains("engine.started") })
        try scenario.addTasks(scenario.tasks(60, durations: .uniform(0, 1)))
        try await Task.sleep(for: .milliseconds(300))
        let blocker = try scenario.openDatabase()
        try blocker.execute("BEGIN IMMEDIATE")
        // Longer than the daemon's 5 s busy timeout, so its writes fail with SQLITE_BUSY and are retried.
        try await Task.sleep(for: .seconds(8))
        try blocker.execute("COMMIT")
        blocker.close()
        let drained = try await eventually(timeout: 60) { try scenario.unfinishedCount() == 0 }
        #expect(daemon.process.isRunning, "the daemon stayed up")
        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)
        #expect(drained)
        #expect(try problems(in: scenario) == [])
        let busyLines = scenario.log.split(separator: "\n").filter { $0.contains("database.busy") }
        #expect(busyLines.count == 1, "logged once, not per row: \(busyLines.count)")
        report(
            "lock-contention",
            [
                "rows": 60, "lock_held_seconds": 8, "busy_log_lines": busyLines.count,
                "wrong_rows": try problems(in: scenario).count,
            ])
        #expect(scenario.log.contains("database.available"))
    }

    @Test("SIGTERM in the middle of polling exits 0 and keeps every answer already received")
    func sigtermMidDrain() async throws {
        let scenario = try Scenario()
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addTasks(scenario.tasks(200))
        let daemon = try scenario.startDaemon()
        #expect(await eventually(timeout: 20) { scenario.simulator.statistics().totalRequests >= 40 })
        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)
        let answered = scenario.simulator.statistics().totalRequests
        let finished = try scenario.rows().values.filter { $0.state != "PENDING" }.count
        // Every task is already final upstream, so each verified answer must have been written.
        #expect(finished == answered, "\(answered) answers received, \(finished) rows written")
        #expect(finished < 200)
        let rows = try scenario.rows()
        let wrong = try problems(in: scenario).filter { problem in
            let key = String(problem.prefix { $0 != ":" })
            return rows[key]?.state != "PENDING"
        }
        #expect(wrong == [], "every row that was written is right")
    }
}

/// Sends SIGKILL to `pid` from a thread of its own once `reached()` holds (or after 30 s) and `delay` more seconds,
/// and returns when it was sent.
private func killedOnProgress(pid: Int32, delay: Double, _ reached: @escaping @Sendable () -> Bool) async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let thread = Thread {
            let deadline = Date().addingTimeInterval(30 * testTimeScale)
            while !reached() && Date() < deadline { usleep(20_000) }
            usleep(UInt32(delay * 1_000_000))
            kill(pid, SIGKILL)
            continuation.resume()
        }
        thread.start()
    }
}
