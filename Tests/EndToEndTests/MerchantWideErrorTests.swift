import Foundation
import Testing
import WeChatPaySimulator

@Suite("End to end: an error for a whole merchant pauses its lane instead of rejecting its rows", .serialized)
struct MerchantWideErrorTests {
    /// `count` tasks spread over `brands`, in turn.
    private func tasks(_ scenario: Scenario, _ count: Int, brands: [String], prefix: String) -> [SimulatedResource] {
        scenario.tasks(count, prefix: prefix, durations: .uniform(0, 4)).enumerated().map { index, task in
            var task = task
            task.brandID = brands[index % brands.count]
            return task
        }
    }

    @Test("NO_AUTH for every brand for 20 s: at most two rows rejected, every other row finishes once it ends")
    func merchantWideNoAuth() async throws {
        let scenario = try Scenario()
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        let all = tasks(scenario, 60, brands: ["120344", "120345", "120346"], prefix: "task")
        try scenario.addTasks(all)
        scenario.simulator.refusals.refuseAll(mchid: scenario.mchid, seconds: 20)
        let daemon = try scenario.startDaemon()
        let (drained, exitStatus) = try await scenario.drainThenStop(daemon, timeout: 150)
        #expect(drained)
        #expect(exitStatus == 0)
        let rejected = try scenario.rows().filter { $0.value.state == "REJECTED" }
        #expect(rejected.count <= 2, "rejected: \(rejected.keys.sorted())")
        let rejectedIDs = Set(rejected.keys.map { String($0.split(separator: "/")[1]) })
        #expect(try problems(in: scenario, expectRejected: rejectedIDs) == [])
        let log = scenario.log
        #expect(log.contains("lane.paused"))
        #expect(log.contains("code=NO_AUTH"))
        #expect(log.contains("request_id=08F5B8C2"))
        #expect(log.contains("lane.resumed"))
        report("merchant-wide-no-auth", ["rows": all.count, "rejected": rejected.count])
    }

    @Test("NO_AUTH for one brand while the others succeed rejects exactly that brand's rows, with code and message")
    func brandOnlyNoAuth() async throws {
        let scenario = try Scenario { $0.unauthorizedBrands = ["120399"] }
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        let refused = tasks(scenario, 10, brands: ["120399"], prefix: "refused")
        let others = tasks(scenario, 40, brands: ["120344", "120345"], prefix: "other").map { task in
            var task = task
            task.duration += 8  // still being polled while the refused brand's rows are judged
            return task
        }
        try scenario.addTasks(others + refused)
        let daemon = try scenario.startDaemon()
        let (drained, exitStatus) = try await scenario.drainThenStop(daemon, timeout: 90)
        #expect(drained)
        #expect(exitStatus == 0)
        #expect(try problems(in: scenario, expectRejected: Set(refused.map(\.id))) == [])
        let rows = try scenario.rows()
        for task in refused {
            let error = rows["\(scenario.mchid)/\(task.id)"]?.error ?? ""
            #expect(error.contains("403 NO_AUTH") && error.contains("120399"), "\(task.id): \(error)")
        }
    }
}
