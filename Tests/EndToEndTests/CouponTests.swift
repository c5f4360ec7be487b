import Foundation
import Testing
import WatcherSQLite
import WeChatPaySimulator

extension Scenario {
    /// Makes `count` coupons for the first merchant, some already final, some leaving audit within seconds.
    func coupons(_ count: Int, durations: DurationModel) -> [SimulatedResource] {
        var random = SeededRandom(seed: 8, key: "coupons")
        let now = Date()
        return (0..<count).map { index in
            SimulatedResource(
                api: .productCoupon, mchid: mchid, id: String(1_000_000_000 + index), brandID: "120344",
                createdAt: now, duration: durations.draw(&random), outcome: index % 7 == 6 ? .failure : .success)
        }
    }

    /// Registers coupons with the simulator and inserts their rows, as a producer would.
    func addCoupons(_ coupons: [SimulatedResource]) throws {
        simulator.register(coupons)
        let connection = try openDatabase()
        defer { connection.close() }
        try connection.transaction {
            for coupon in coupons {
                try connection.run(
                    "INSERT INTO product_coupons (merchant_id, product_coupon_id, brand_id) VALUES (?, ?, ?)",
                    [.text(coupon.mchid), .text(coupon.id), .text(coupon.brandID)])
            }
        }
    }
}

@Suite("End to end: product coupons through audit", .serialized)
struct CouponTests {
    @Test(
        "coupons and image tasks of one merchant at full rate side by side: true final states, bodies stored, ≤ 20/s per API"
    )
    func bothAPIsAtFullRate() async throws {
        let scenario = try Scenario()
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        let coupons = scenario.coupons(200, durations: .uniform(0, 3))
        try scenario.addCoupons(coupons)
        try scenario.addTasks(scenario.tasks(200, durations: .uniform(0, 3)))
        let daemon = try scenario.startDaemon()
        let drained = try await eventually(timeout: 90) {
            let connection = try scenario.openDatabase()
            defer { connection.close() }
            let coupons = try connection.scalar(
                "SELECT count(*) FROM product_coupons WHERE state IN ('PENDING', 'AUDITING')")
            let tasks = try scenario.unfinishedCount()
            return coupons == .integer(0) && tasks == 0
        }
        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)
        #expect(drained)
        #expect(try problems(in: scenario).filter { !$0.contains("unknown to the simulator") } == [])

        let connection = try scenario.openDatabase()
        defer { connection.close() }
        var wrong: [String] = []
        for row in try connection.query(
            "SELECT product_coupon_id, state, coupon_json, coupon_name, deactivate_reason FROM product_coupons")
        {
            let id = row[0].stringValue ?? ""
            guard let truth = scenario.simulator.resource(.productCoupon, mchid: scenario.mchid, id: id) else {
                wrong.append("\(id): unknown")
                continue
            }
            if row[1].stringValue != truth.finalState { wrong.append("\(id): \(row[1]) vs \(truth.finalState)") }
            let json = row[2].stringValue ?? ""
            if !json.contains("\"product_coupon_id\":\"\(id)\"") && !json.contains("\"product_coupon_id\" : \"\(id)\"")
            {
                wrong.append("\(id): coupon_json \(json.prefix(80))")
            }
            if row[3].stringValue?.isEmpty != false { wrong.append("\(id): no coupon_name") }
            if truth.finalState == "DEACTIVATED", row[4].isNull { wrong.append("\(id): no deactivate_reason") }
        }
        #expect(wrong == [])
        var history: [String: [(String, String)]] = [:]
        for row in try connection.query(
            "SELECT resource_id, from_state, to_state FROM state_transitions WHERE resource = 'product_coupon' ORDER BY id"
        ) {
            history[row[0].stringValue ?? "", default: []].append((row[1].stringValue ?? "", row[2].stringValue ?? ""))
        }
        #expect(history.count == 200)
        for (id, steps) in history {
            var current = "PENDING"
            for (from, to) in steps {
                #expect(from == current && from != to, "\(id): \(steps)")
                current = to
            }
        }
        let lanes = scenario.simulator.statistics().lanes
        let couponLane = try #require(lanes["\(scenario.mchid)/product_coupon"])
        let taskLane = try #require(lanes["\(scenario.mchid)/image_generation_task"])
        #expect(couponLane.maxRequestsInAnySecond <= 20 && taskLane.maxRequestsInAnySecond <= 20)
        #expect(couponLane.maxRequestsInAnySecond == 20 && taskLane.maxRequestsInAnySecond == 20, "both at full rate")
        #expect(couponLane.throttled == 0 && taskLane.throttled == 0)
    }

    @Test("enqueue --product-coupon validates and inserts; status counts coupons")
    func enqueueAndStatus() async throws {
        let scenario = try Scenario()
        let config = scenario.folder.configFile
        let ok = try await scenario.run([
            "enqueue", "--config", config, "--merchant", scenario.mchid, "--brand", "120344", "--product-coupon",
            "1000000013",
        ])
        #expect(ok.status == 0, "\(ok.error)")
        let bad = try await scenario.run([
            "enqueue", "--config", config, "--merchant", scenario.mchid, "--brand", "120344", "--product-coupon",
            "10/13",
        ])
        #expect(bad.status == 2)
        #expect(bad.error.contains("product_coupon_id"))
        let status = try await scenario.run(["status", "--config", config, "--json"])
        #expect(status.status == 0)
        #expect(
            status.output.contains("product_coupons") || status.output.contains("product_coupon"), "\(status.output)")
    }
}
