import Foundation
import Testing
import WatcherSync
import WatcherTestSupport

@Suite("Engine: a row's own error rejects the row without pausing the lane; the merchant's pauses it")
struct PerRowRejectionTests {
    /// A harness whose rows in `bad` answer 400 `PARAM_ERROR`, and whose other rows answer `PROCESSING` for their
    /// first three polls, then `SUCCESS`.
    private func harness(bad: Set<String>) throws -> EngineHarness {
        let polls = Locked<[String: Int]>([:])
        return try EngineHarness(
            answer: { id in
                let count = polls.withLock { polls in
                    polls[id, default: 0] += 1
                    return polls[id]!
                }
                return EngineHarness.body(id, count > 3 ? "SUCCESS" : "PROCESSING")
            },
            outage: { id in
                bad.contains(id) ? .success(SignedAnswers.error(400, code: "PARAM_ERROR", message: "品牌不存在")) : nil
            }
        )
    }

    private func run(_ harness: EngineHarness, good: [String], bad: [String]) async throws {
        harness.start()
        let settled = try await harness.advance(limit: 120) {
            let rows = try harness.rows()
            return good.allSatisfy { rows[$0]?.state == "SUCCESS" } && bad.allSatisfy { rows[$0]?.state == "REJECTED" }
        }
        let rows = try harness.rows()
        #expect(settled, "states: \(rows.mapValues(\.state))")
        for id in bad {
            #expect(rows[id]?.error?.contains("400 PARAM_ERROR") == true, "\(id): \(rows[id]?.error ?? "no error")")
        }
        #expect(harness.logs.records(named: "lane.paused").isEmpty)
        #expect(harness.logs.records(named: "lane.resumed").isEmpty)
        harness.engine.stop()
        #expect(await harness.advance { harness.result != nil })
    }

    @Test("two rows of different brands answering PARAM_ERROR among 40 good rows end REJECTED; the lane never pauses")
    func twoBrandsParamError() async throws {
        let bad = ["bad_row_1", "bad_row_2"]
        let good = (0..<40).map { "task_\($0)" }
        let harness = try harness(bad: Set(bad))
        try harness.insert(Array(good[0..<20]) + [bad[0]] + Array(good[20...]) + [bad[1]])
        try harness.execute("UPDATE image_generation_tasks SET brand_id = '120399' WHERE task_id = 'bad_row_2'")
        try await run(harness, good: good, bad: bad)
    }

    @Test("a single-brand merchant with 5 PARAM_ERROR rows among 20 good ones: the 5 end REJECTED, no pause")
    func fiveRowsParamError() async throws {
        let bad = (0..<5).map { "bad_row_\($0)" }
        let good = (0..<20).map { "task_\($0)" }
        let harness = try harness(bad: Set(bad))
        try harness.insert(good + bad)
        try await run(harness, good: good, bad: bad)
    }

    @Test("NO_AUTH for every row while none gets an answer pauses the lane, rejects nothing, and resumes on an answer")
    func merchantWideNoAuthStillPauses() async throws {
        let refused = Locked(true)
        let harness = try EngineHarness(outage: { _ in
            refused.withLock { $0 } ? .success(SignedAnswers.error(403, code: "NO_AUTH", message: "无权限")) : nil
        })
        let ids = (0..<10).map { "task_\($0)" }
        try harness.insert(ids)
        harness.start()
        await harness.advance(limit: 60) { false }
        #expect(harness.logs.records(named: "lane.paused").count >= 1)
        #expect(try harness.rows().values.allSatisfy { $0.state == "PENDING" })
        refused.withLock { $0 = false }
        #expect(
            try await harness.advance(limit: 400) { try harness.rows().values.allSatisfy { $0.state == "SUCCESS" } })
        #expect(harness.logs.records(named: "lane.resumed").count == 1)
        harness.engine.stop()
        #expect(await harness.advance { harness.result != nil })
    }
}
