import Foundation
import LoopbackHTTPServer
import Testing
import WatcherCrypto
import WatcherTestSupport
import WeChatPay
import WeChatPaySimulator

/// A simulator driven through its request handler, plus a real signed client for a loopback round trip.
struct SimulatorFixture {
    let simulator: WeChatPaySimulator
    let merchant = testCredentials()

    init(requestsPerSecond: Int = 20, faults: FaultPlan = FaultPlan(), createUnknown: Bool = false) {
        simulator = WeChatPaySimulator(
            configuration: SimulatorConfiguration(
                platformKey: TestKeys.platform,
                platformKeyID: TestKeys.platformKeyID,
                merchants: [
                    SimulatedMerchant(
                        mchid: "1900000001", certificateSerial: "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
                        publicKey: TestKeys.merchant.publicKey)
                ],
                requestsPerSecond: requestsPerSecond,
                createUnknownResources: createUnknown,
                unauthorizedBrands: ["999999"],
                faults: faults
            )
        )
    }

    func task(_ id: String, duration: Double = 0, outcome: SimulatedOutcome = .success, type: String = "COMBINE_IMAGE")
        -> SimulatedResource
    {
        SimulatedResource(
            api: .imageGenerationTask, mchid: "1900000001", id: id, brandID: "120344", imageGenerationType: type,
            createdAt: Date(), duration: duration, outcome: outcome
        )
    }

    func client(baseURL: String) throws -> WeChatPayClient {
        WeChatPayClient(
            credentials: merchant,
            hosts: APIHosts(primary: baseURL, backup: nil),
            transport: try SocketTransport(settings: SocketTransport.Settings(), logger: .disabled),
            requestTimeout: .seconds(60),
            userAgent: "test",
            logger: .disabled
        )
    }

    static func query(_ id: String, brand: String = "120344", type: String = "COMBINE_IMAGE") -> APIRequest {
        APIRequest(
            pathSegments: ["v3", "marketing", "partner", "product-coupon", "image-generation-tasks", id],
            query: [("brand_id", brand), ("image_generation_type", type)]
        )
    }
}

@Suite("Simulator over loopback", .serialized)
struct SimulatorTests {
    @Test("a signed query gets a verified answer that moves from PROCESSING to SUCCESS with its URL")
    func lifecycle() async throws {
        let fixture = SimulatorFixture()
        // Unfinished for an hour, then finished by registering it again: no race with the wall clock.
        fixture.simulator.register([fixture.task("task_0001", duration: 3_600)])
        let port = try fixture.simulator.start()
        defer { fixture.simulator.stop() }
        let client = try fixture.client(baseURL: "http://127.0.0.1:\(port)")
        let first = await client.send(SimulatorFixture.query("task_0001"))
        guard case .verified(200, let body) = first.outcome else {
            Issue.record("\(first.outcome)")
            return
        }
        #expect(String(decoding: body, as: UTF8.self).contains("\"task_state\":\"PROCESSING\""))
        fixture.simulator.register([fixture.task("task_0001", duration: 0)])
        let second = await client.send(SimulatorFixture.query("task_0001"))
        guard case .verified(200, let done) = second.outcome else {
            Issue.record("\(second.outcome)")
            return
        }
        let text = String(decoding: done, as: UTF8.self)
        #expect(text.contains("\"task_state\":\"SUCCESS\""))
        #expect(text.contains("https://wxpaylogo.qpic.cn/wxpaylogo/simulated/1900000001/task_0001.jpg"))
        #expect(second.requestID != nil)
    }

    @Test("a request signed with another key is refused with 401 SIGN_ERROR")
    func badSignature() async throws {
        let fixture = SimulatorFixture(createUnknown: true)
        let port = try fixture.simulator.start()
        defer { fixture.simulator.stop() }
        var credentials = testCredentials()
        credentials.privateKey = TestKeys.stranger
        let client = WeChatPayClient(
            credentials: credentials,
            hosts: APIHosts(primary: "http://127.0.0.1:\(port)", backup: nil),
            transport: try SocketTransport(settings: SocketTransport.Settings(), logger: .disabled),
            requestTimeout: .seconds(60),
            userAgent: "test",
            logger: .disabled
        )
        let exchange = await client.send(SimulatorFixture.query("task_0001"))
        guard case .errorAnswer(401, let error?, _) = exchange.outcome else {
            Issue.record("\(exchange.outcome)")
            return
        }
        #expect(error.code == "SIGN_ERROR")
    }

    @Test("more than 20 requests in a second get 429 FREQUENCY_LIMITED and are counted")
    func rateLimit() async throws {
        let fixture = SimulatorFixture(createUnknown: true)
        let port = try fixture.simulator.start()
        defer { fixture.simulator.stop() }
        let client = try fixture.client(baseURL: "http://127.0.0.1:\(port)")
        let statuses = await withTaskGroup(of: Int.self) { group in
            for index in 0..<30 {
                group.addTask {
                    let exchange = await client.send(SimulatorFixture.query("task_\(String(format: "%04d", index))"))
                    switch exchange.outcome {
                    case .verified(let status, _), .errorAnswer(let status, _, _), .unverified(_, let status):
                        return status
                    case .failed: return -1
                    }
                }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        // On a loaded machine the 30 arrivals may spread over more than a second, so the exact split varies;
        // what may not vary is that the densest one-second window admitted at most 20.
        let admitted = statuses.filter { $0 == 200 }.count
        let refused = statuses.filter { $0 == 429 }.count
        let lane = try #require(fixture.simulator.statistics().lanes["1900000001/image_generation_task"])
        #expect(admitted + refused == 30)
        #expect(admitted >= 20)
        #expect(lane.throttled == refused)
        #expect(refused >= lane.maxRequestsInAnySecond - 20)
        #expect(lane.maxRequestsInAnySecond > 20, "the burst was denser than the limit")
    }

    @Test("brand, type and existence errors follow the documented codes")
    func errors() async throws {
        let fixture = SimulatorFixture()
        fixture.simulator.register([fixture.task("task_0001")])
        let port = try fixture.simulator.start()
        defer { fixture.simulator.stop() }
        let client = try fixture.client(baseURL: "http://127.0.0.1:\(port)")
        func code(_ request: APIRequest) async -> String {
            let exchange = await client.send(request)
            guard case .errorAnswer(let status, let error, _) = exchange.outcome else { return "\(exchange.outcome)" }
            return "\(status) \(error?.code ?? "")"
        }
        #expect(await code(SimulatorFixture.query("task_9999")) == "404 RESOURCE_NOT_EXISTS")
        #expect(await code(SimulatorFixture.query("task_0001", brand: "999999")) == "403 NO_AUTH")
        #expect(await code(SimulatorFixture.query("task_0001", brand: "120345")) == "400 PARAM_ERROR")
        #expect(await code(SimulatorFixture.query("task_0001", type: "CUT_OUT")) == "400 PARAM_ERROR")
    }

    @Test(
        "each injected answer fault is caught by the client's verification or the kind's checks",
        arguments: [
            (Fault.badSignature, "unverified"), (.signtestProbe, "unverified"), (.staleTimestamp, "unverified"),
            (.tamperedBody, "unverified"), (.missingSignatureHeaders, "unverified"), (.wrongSerial, "unverified"),
            (.serverError, "500"), (.throttled, "429"), (.connectionReset, "failed"), (.oversizedBody, "failed"),
        ]
    )
    func faults(fault: Fault, expected: String) async throws {
        let fixture = SimulatorFixture(faults: FaultPlan(probabilities: [fault: 1]))
        fixture.simulator.register([fixture.task("task_0001")])
        let port = try fixture.simulator.start()
        defer { fixture.simulator.stop() }
        let exchange = try await fixture.client(baseURL: "http://127.0.0.1:\(port)").send(
            SimulatorFixture.query("task_0001"))
        let observed: String
        switch exchange.outcome {
        case .unverified: observed = "unverified"
        case .errorAnswer(let status, _, _): observed = String(status)
        case .failed: observed = "failed"
        case .verified: observed = "verified"
        }
        #expect(observed == expected)
        #expect(fixture.simulator.statistics().lanes["1900000001/image_generation_task"]?.faults[fault.rawValue] == 1)
    }

    @Test("the admin API registers resources and reports statistics")
    func admin() async throws {
        let fixture = SimulatorFixture()
        let port = try fixture.simulator.start()
        defer { fixture.simulator.stop() }
        let transport = try SocketTransport(settings: SocketTransport.Settings(), logger: .disabled)
        let body = Array(
            #"[{"api":"image_generation_task","mchid":"1900000001","id":"task_0042","brand_id":"120344","image_generation_type":"CUT_OUT","duration_seconds":3,"outcome":"failure"}]"#
                .utf8
        )
        let response = try await transport.send(
            HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port)/_sim/resources", headers: [], body: body),
            timeout: .seconds(60), maxBodyBytes: 1 << 20)
        #expect(response.status == 201)
        #expect(
            fixture.simulator.resource(.imageGenerationTask, mchid: "1900000001", id: "task_0042")?.finalState == "FAIL"
        )
        let stats = try await transport.send(
            HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/_sim/stats", headers: []),
            timeout: .seconds(60), maxBodyBytes: 1 << 20
        ).body
        #expect(String(decoding: stats, as: UTF8.self).contains("lanes"))
    }
}
