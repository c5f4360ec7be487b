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

    /// Coupons still being watched.
    func unfinishedCoupons() throws -> Int {
        let connection = try openDatabase()
        defer { connection.close() }
        return Int(
            try connection.scalar("SELECT count(*) FROM product_coupons WHERE state IN ('PENDING', 'AUDITING')")
                .int64Value ?? -1)
    }

    /// Checks every coupon row against the simulator's truth: final state, the stored body, the operator columns
    /// and the transitions (tagged `product_coupon`, one per change, ending in the row's state). Returns problems.
    func couponProblems() throws -> [String] {
        let connection = try openDatabase()
        defer { connection.close() }
        var history: [String: [(from: String, to: String)]] = [:]
        for row in try connection.query(
            "SELECT merchant_id, resource_id, from_state, to_state FROM state_transitions WHERE resource = 'product_coupon' ORDER BY id"
        ) {
            history["\(row[0].stringValue ?? "")/\(row[1].stringValue ?? "")", default: []].append(
                (row[2].stringValue ?? "", row[3].stringValue ?? ""))
        }
        var problems: [String] = []
        let rows = try connection.query(
            """
            SELECT merchant_id, product_coupon_id, state, coupon_json, coupon_name, coupon_type, coupon_scope,
              deactivate_time, deactivate_reason, completed_at FROM product_coupons
            """)
        for row in rows {
            let (mchid, id, state) = (row[0].stringValue ?? "", row[1].stringValue ?? "", row[2].stringValue ?? "")
            let key = "\(mchid)/\(id)"
            guard let truth = simulator.resource(.productCoupon, mchid: mchid, id: id) else {
                problems.append("\(key): unknown to the simulator")
                continue
            }
            if state != truth.finalState { problems.append("\(key): state \(state), truth \(truth.finalState)") }
            let body = (row[3].stringValue?.data(using: .utf8)).flatMap {
                try? JSONSerialization.jsonObject(with: $0) as? [String: Any]
            }
            if body?["product_coupon_id"] as? String != id || body?["brand_id"] as? String != truth.brandID
                || body?["state"] as? String != state
            {
                problems.append("\(key): coupon_json \(row[3].stringValue?.prefix(120) ?? "NULL")")
            }
            let design = truth.couponDesign
            let operatorColumns = [row[4], row[5], row[6]].map(\.stringValue)
            if operatorColumns != [design.name, design.type, design.scope] {
                problems.append("\(key): name, type, scope \(operatorColumns), truth \(design)")
            }
            let deactivation = [row[7], row[8]].map(\.stringValue)
            if truth.finalState == "DEACTIVATED" {
                if deactivation[0]?.hasSuffix("+08:00") != true || deactivation[1] != "品牌方主动失效" {
                    problems.append("\(key): deactivate_time, deactivate_reason \(deactivation)")
                }
            } else if deactivation != [nil, nil] {
                problems.append("\(key): deactivation columns set on \(state)")
            }
            if row[9].isNull { problems.append("\(key): no completed_at") }
            var current = "PENDING"
            for step in history[key] ?? [] {
                if step.from != current || step.from == step.to {
                    problems.append("\(key): transition \(step.from) → \(step.to) while the row was \(current)")
                }
                current = step.to
            }
            if current != state { problems.append("\(key): transitions end in \(current), the row is \(state)") }
        }
        if rows.isEmpty { problems.append("no coupon rows") }
        return problems
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
        "coupons and image tasks of one merchant side by side: true final states, bodies stored, ≤ 20/s per API"
    )
    func bothAPIsAtFullRate() async throws {
        let scenario = try Scenario()
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        let coupons = scenario.coupons(200, durations: .uniform(0, 3))
        #expect(Set(coupons.map(\.couponDesign)) == Set(SimulatedCouponDesign.allCases), "every shape of the answer")
        #expect(coupons.contains { $0.outcome == .failure }, "some end DEACTIVATED")
        try scenario.addCoupons(coupons)
        try scenario.addTasks(scenario.tasks(200, durations: .uniform(0, 3)))
        let daemon = try scenario.startDaemon()
        let drained = try await eventually(timeout: 90) {
            try scenario.unfinishedCoupons() == 0 && scenario.unfinishedCount() == 0
        }
        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)
        #expect(drained)
        #expect(try problems(in: scenario) == [])
        let couponProblems = try scenario.couponProblems()
        #expect(couponProblems == [], "\(couponProblems)")
        let connection = try scenario.openDatabase()
        defer { connection.close() }
        #expect(
            try connection.scalar(
                "SELECT count(DISTINCT resource_id) FROM state_transitions WHERE resource = 'product_coupon'")
                == .integer(200),
            "every coupon left PENDING with a recorded transition")
        #expect(!scenario.log.contains("answer.anomaly"), "every coupon answer was believed")
        #expect(!scenario.log.contains("answer.notice"), "the simulator uses only the document's values")

        let lanes = scenario.simulator.statistics().lanes
        let couponLane = try #require(lanes["\(scenario.mchid)/product_coupon"])
        let taskLane = try #require(lanes["\(scenario.mchid)/image_generation_task"])
        // Each API has its own budget: both lanes polled, neither over 20. That both reach 20 at once is a speed
        // figure, measured by `bench --workload mixed` (BENCHMARKS.md), not asserted here.
        #expect(couponLane.requests > 0 && taskLane.requests > 0)
        #expect(couponLane.maxRequestsInAnySecond <= 20 && taskLane.maxRequestsInAnySecond <= 20)
        #expect(couponLane.throttled == 0 && taskLane.throttled == 0)
    }

    @Test("a coupon set back to PENDING by its producer is watched again, with one more transition")
    func watchedAgain() async throws {
        let scenario = try Scenario()
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        try scenario.addCoupons(scenario.coupons(7, durations: .fixed(0)))
        let daemon = try scenario.startDaemon()
        #expect(try await eventually(timeout: 30) { try scenario.unfinishedCoupons() == 0 })
        let connection = try scenario.openDatabase()
        defer { connection.close() }
        let transitionsBefore = try connection.scalar("SELECT count(*) FROM state_transitions").int64Value ?? 0
        try connection.run(
            "UPDATE product_coupons SET state = 'PENDING', coupon_json = NULL WHERE product_coupon_id = '1000000000'")
        let rewatched = try await eventually(timeout: 30) {
            try scenario.unfinishedCoupons() == 0
                && connection.scalar(
                    "SELECT coupon_json IS NOT NULL FROM product_coupons WHERE product_coupon_id = '1000000000'")
                    == .integer(1)
        }
        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)
        #expect(rewatched)
        #expect(try connection.scalar("SELECT count(*) FROM state_transitions").int64Value == transitionsBefore + 1)
        let history = try connection.query(
            "SELECT from_state || '→' || to_state FROM state_transitions WHERE resource_id = '1000000000' ORDER BY id"
        ).map { $0[0].stringValue ?? "" }
        #expect(history == ["PENDING→EFFECTIVE", "PENDING→EFFECTIVE"], "the producer's reset is not a transition")
        #expect(
            try connection.scalar("SELECT state FROM product_coupons WHERE product_coupon_id = '1000000000'")
                == .text("EFFECTIVE"))
    }

    @Test("enqueue --product-coupon validates first and inserts; status counts coupons per state and merchant")
    func enqueueAndStatus() async throws {
        let scenario = try Scenario()
        let config = scenario.folder.configFile
        let enqueue = ["enqueue", "--config", config, "--merchant", scenario.mchid, "--brand", "120344"]
        let ok = try await scenario.run(enqueue + ["--product-coupon", "1000000013"])
        #expect(ok.status == 0, "\(ok.error)")
        #expect(ok.output.contains("product_coupon 1000000013"))
        let again = try await scenario.run(enqueue + ["--product-coupon", "1000000013"])
        #expect(again.status == 1 && again.error.contains("already queued (state PENDING)"), "\(again.error)")
        let bad = try await scenario.run(enqueue + ["--product-coupon", "10/13"])
        #expect(bad.status == 2 && bad.error.contains("product_coupon_id"), "\(bad.error)")
        let both = try await scenario.run(enqueue + ["--type", "CUT_OUT", "--product-coupon", "1000000014"])
        #expect(both.status == 2, "--type and --product-coupon exclude each other: \(both.error)")
        let task = try await scenario.run(enqueue + ["--type", "CUT_OUT", "task_000001"])
        #expect(task.status == 0, "\(task.error)")

        let json = try await scenario.run(["status", "--config", config, "--json"])
        #expect(json.status == 0)
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any], "\(json.output)")
        let counts = (report["counts"] as? [[String: Any]] ?? []).map {
            "\($0["resource"] ?? "")/\($0["merchant_id"] ?? "")/\($0["state"] ?? "")=\($0["rows"] ?? "")"
        }
        #expect(
            Set(counts)
                == [
                    "product_coupon/\(scenario.mchid)/PENDING=1", "image_generation_task/\(scenario.mchid)/PENDING=1",
                ])
        let text = try await scenario.run(["status", "--config", config])
        #expect(text.status == 0)
        let couponLine = text.output.split(separator: "\n").first { $0.hasPrefix("product_coupon ") }
        #expect(
            couponLine?.split(separator: " ", omittingEmptySubsequences: true) == [
                "product_coupon", Substring(scenario.mchid), "PENDING", "1",
            ], "\(text.output)")
    }
}
