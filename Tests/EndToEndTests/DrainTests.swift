import Foundation
import Testing
import WeChatPaySimulator

@Suite("End to end: the real binary against the simulator", .serialized)
struct DrainTests {
    @Test(
        "1,000 tasks of one merchant reach their true final state, one transition per change, never over 20/s, no 429")
    func thousandTasks() async throws {
        let scenario = try Scenario()
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addTasks(scenario.tasks(1_000))
        let started = Date()
        let daemon = try scenario.startDaemon()
        let drained = try await eventually(timeout: 120) { try scenario.unfinishedCount() == 0 }
        let drainSeconds = Date().timeIntervalSince(started)
        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)
        let unfinished = try scenario.unfinishedCount()
        #expect(drained, "\(unfinished) rows still unfinished")
        #expect(try problems(in: scenario) == [])
        let statistics = scenario.simulator.statistics()
        let lane = try #require(statistics.lanes["\(scenario.mchid)/image_generation_task"])
        #expect(lane.throttled == 0)
        #expect(lane.statuses["429"] == nil)
        #expect(lane.maxRequestsInAnySecond <= 20)
        #expect(lane.missingHeaders == 0)
        print(
            "drained 1,000 tasks in \(String(format: "%.1f", drainSeconds)) s; \(lane.requests) requests; largest 1 s window \(lane.maxRequestsInAnySecond)"
        )
    }

    @Test("tasks that take a while are re-polled until they finish; an invalid row is rejected with its reason")
    func runningTasksAndInvalidRow() async throws {
        let scenario = try Scenario(merchants: 2)
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        let second = scenario.folder.merchants[1].mchid
        try scenario.addTasks(
            scenario.tasks(30, durations: .uniform(0.5, 4))
                + scenario.tasks(30, mchid: second, prefix: "other", durations: .uniform(0.5, 4))
        )
        try scenario.insertRows([
            (scenario.mchid, "bad id!", "120344", "COMBINE_IMAGE"),
            (scenario.mchid, "short", "120344", "COMBINE_IMAGE"),
            (scenario.mchid, "valid_but_wrong_type", "120344", "BLUR"),
            ("1999999999", "unknown_merchant", "120344", "CUT_OUT"),
        ])
        let daemon = try scenario.startDaemon()
        let (drained, exitStatus) = try await scenario.drainThenStop(daemon, timeout: 60, signal: SIGINT)
        #expect(exitStatus == 0)
        #expect(drained)
        #expect(
            try problems(
                in: scenario, expectRejected: ["bad id!", "short", "valid_but_wrong_type", "unknown_merchant"]) == [])
        let rows = try scenario.rows()
        #expect(rows["1999999999/unknown_merchant"]?.error?.contains("not a configured merchant") == true)
        #expect(rows["\(scenario.mchid)/valid_but_wrong_type"]?.error?.contains("image_generation_type") == true)
        #expect(scenario.log.contains("row.rejected"))
        #expect(scenario.log.contains("transition"))
        #expect(!scenario.log.contains("signature="), "signatures are never logged")
    }
}
