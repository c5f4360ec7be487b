import Foundation
import LoopbackHTTPServer
import WatcherCrypto
import WatcherSync
import WeChatPay

/// A stand-in for WeChat Pay's two query APIs: a real HTTP/1.1 server on loopback that verifies request
/// signatures, enforces the per-merchant, per-API rate limit, moves resources to their final state after a
/// seeded delay, signs its answers with its own platform key, and injects faults on request.
///
/// Used by the demo, the tests and the benchmark. Its unsigned admin API lives under `/_sim/`.
package final class WeChatPaySimulator: Sendable {
    private struct State {
        var resources: [String: SimulatedResource] = [:]
        var logs: [String: ArrivalLog] = [:]
        var statistics = SimulatorStatistics()
        var faults: FaultPlan
        var random: SeededRandom
        var requestCounter: UInt64 = 0
        var answerCounter: UInt64 = 0
    }

    /// The configuration it was started with (faults can change later).
    package let configuration: SimulatorConfiguration
    private let authenticator: RequestAuthenticator
    private let clockOrigin = ContinuousClock.now
    private let state: Locked<State>
    private let server = Locked<HTTPServer?>(nil)
    /// The platform certificates and the key that signs answers; a test rotates them here.
    package let platform: SimulatedPlatform
    /// Merchant-wide refusals switched on and off while a watcher runs.
    package let refusals = SimulatedRefusals()

    /// Creates a simulator; ``start(port:)`` opens its socket.
    package init(configuration: SimulatorConfiguration) {
        self.configuration = configuration
        self.authenticator = RequestAuthenticator(merchants: configuration.merchants)
        self.platform = SimulatedPlatform(
            certificates: configuration.platformCertificates, signing: configuration.answerSigning)
        self.state = Locked(State(faults: configuration.faults, random: SeededRandom(seed: configuration.seed)))
    }

    /// Binds 127.0.0.1 (port 0 = any free port) and starts serving, over TLS when configured; returns the port.
    @discardableResult
    package func start(port: UInt16 = 0) throws -> UInt16 {
        let httpServer = try HTTPServer(
            host: "127.0.0.1", port: port, idleTimeout: configuration.idleTimeout, tls: configuration.tls
        ) { [weak self] request in
            guard let self else { return HTTPServerResponse(status: 503) }
            return framed(handle(request))
        }
        httpServer.start()
        server.withLock { $0 = httpServer }
        return httpServer.port
    }

    /// Stops serving and closes every connection.
    package func stop() {
        let httpServer = server.withLock { server in
            defer { server = nil }
            return server
        }
        httpServer?.stop()
    }

    /// The base URL to configure a watcher with, e.g. `http://127.0.0.1:38121` or `https://127.0.0.1:38121`.
    package var baseURL: String? {
        server.withLock { $0?.origin }
    }

    /// What the HTTP server below the simulator counted: connections, TLS handshakes, requests. A request
    /// refused during the TLS handshake is in `handshakesFailed` and nowhere in ``statistics()``.
    package func connectionStatistics() -> SimulatorConnectionStatistics {
        server.withLock { server in
            guard let server else { return SimulatorConnectionStatistics() }
            return SimulatorConnectionStatistics(
                connectionsAccepted: server.connectionsAccepted, handshakesCompleted: server.handshakesCompleted,
                handshakesFailed: server.handshakesFailed, lastHandshakeFailure: server.lastHandshakeFailure,
                requestsHandled: server.requestsHandled)
        }
    }

    // MARK: Control

    /// Registers resources with known fates (replacing any with the same id).
    package func register(_ resources: [SimulatedResource]) {
        state.withLock { state in
            for resource in resources {
                state.resources[Self.key(resource.api, resource.mchid, resource.id)] = resource
            }
        }
    }

    /// The resource as the simulator knows it (registered, or created on first sight).
    package func resource(_ api: SimulatedAPI, mchid: String, id: String) -> SimulatedResource? {
        state.withLock { $0.resources[Self.key(api, mchid, id)] }
    }

    /// Every resource the simulator knows.
    package var resources: [SimulatedResource] { state.withLock { Array($0.resources.values) } }

    /// Replaces the fault plan.
    package func setFaults(_ faults: FaultPlan) {
        state.withLock { $0.faults = faults }
    }

    /// The counters so far, with exact largest-window figures.
    package func statistics() -> SimulatorStatistics {
        state.withLock { state in
            var statistics = state.statistics
            for (key, log) in state.logs {
                statistics.lanes[key, default: SimulatedLaneStatistics()].maxRequestsInAnySecond = log.maxInAnySecond
            }
            return statistics
        }
    }

    /// Forgets all counters (resources stay).
    package func resetStatistics() {
        state.withLock { state in
            state.statistics = SimulatorStatistics()
            state.logs = [:]
        }
    }

    static func key(_ api: SimulatedAPI, _ mchid: String, _ id: String) -> String { "\(api.rawValue)/\(mchid)/\(id)" }

    // MARK: Serving

    func handle(_ request: HTTPServerRequest) -> HTTPServerResponse {
        if request.path.hasPrefix("/_sim/") { return handleAdmin(request) }
        if request.method == "GET", request.path == "/v3/certificates" { return certificatesAnswer(request) }
        guard request.method == "GET", let (api, id) = Self.route(request.path) else {
            return errorAnswer(
                SimulatorRefusal(
                    status: 404, code: "NOT_FOUND", message: "no such API: \(request.method) \(request.path)"))
        }
        let now = Date()
        let mchid: String
        switch authenticator.authenticate(request, now: now) {
        case .success(let authenticated): mchid = authenticated
        case .failure(let refusal):
            state.withLock { state in
                state.statistics.signErrors += 1
                if refusal.isReplay { state.statistics.replayedNonces += 1 }
            }
            return errorAnswer(refusal, lane: nil)
        }
        let lane = "\(mchid)/\(api.rawValue)"
        let arrival = (request.receivedAt - clockOrigin).secondsValue
        let (admitted, fault) = state.withLock { state -> (Bool, Fault?) in
            state.statistics.lanes[lane, default: SimulatedLaneStatistics()].requests += 1
            if request.header("Accept") != "application/json" || request.header("Wechatpay-Serial") == nil
                || request.header("User-Agent") == nil
            {
                state.statistics.lanes[lane, default: SimulatedLaneStatistics()].missingHeaders += 1
            }
            let admitted = state.logs[lane, default: ArrivalLog()].admit(
                at: arrival, limit: configuration.requestsPerSecond)
            let fault = state.faults.pick(state.random.unit())
            return (admitted, admitted ? fault : nil)
        }
        guard admitted else {
            state.withLock { $0.statistics.lanes[lane]?.throttled += 1 }
            return errorAnswer(SimulatorRefusal(status: 429, code: "FREQUENCY_LIMITED", message: "频率超限"), lane: lane)
        }
        if let fault { record(fault, lane: lane) }
        if let fault, let answer = transportFault(fault, lane: lane) { return answer }
        do {
            let resource = try lookUp(api, mchid: mchid, id: id, query: Self.queryItems(request.query), now: now)
            state.withLock { $0.statistics.pollsPerResource[Self.key(api, mchid, id), default: 0] += 1 }
            return signedAnswer(resource, now: now, fault: fault, lane: lane)
        } catch {
            return errorAnswer(error, lane: lane)
        }
    }

    /// Faults decided before the business logic: errors and broken connections.
    private func transportFault(_ fault: Fault, lane: String) -> HTTPServerResponse? {
        switch fault {
        case .serverError:
            return errorAnswer(SimulatorRefusal(status: 500, code: "SYSTEM_ERROR", message: "系统错误"), lane: lane)
        case .serviceUnavailable:
            return errorAnswer(SimulatorRefusal(status: 503, code: "SERVICE_UNAVAILABLE", message: "服务不可用"), lane: lane)
        case .throttled:
            return errorAnswer(SimulatorRefusal(status: 429, code: "FREQUENCY_LIMITED", message: "频率超限"), lane: lane)
        case .connectionReset:
            return HTTPServerResponse(status: 200, behaviour: .resetConnection)
        case .hang:
            return HTTPServerResponse(status: 200, behaviour: .hang)
        default:
            return nil
        }
    }

    private func lookUp(_ api: SimulatedAPI, mchid: String, id: String, query: [String: String], now: Date)
        throws(SimulatorRefusal)
        -> SimulatedResource
    {
        guard let brand = query["brand_id"], !brand.isEmpty else { throw .paramError("brand_id 不能为空") }
        if let refusal = refusals.refusal(mchid: mchid, api: api, now: now) { throw refusal }
        if configuration.unauthorizedBrands.contains(brand) {
            throw SimulatorRefusal(status: 403, code: "NO_AUTH", message: "服务商与品牌 \(brand) 无授权关系")
        }
        var type: String?
        if api == .imageGenerationTask {
            type = query["image_generation_type"]
            guard let type, ["COMBINE_IMAGE", "CUT_OUT"].contains(type) else {
                throw .paramError("image_generation_type 无效")
            }
        }
        let resource = try existingOrNew(api, mchid: mchid, id: id, brand: brand, type: type, now: now)
        if let visibleAt = resource.visibleAt, now < visibleAt {
            throw SimulatorRefusal(status: 404, code: "RESOURCE_NOT_EXISTS", message: "资源不存在")
        }
        guard resource.brandID == brand else { throw .paramError("brand_id 与资源不匹配") }
        if api == .imageGenerationTask, resource.imageGenerationType != type {
            throw .paramError("image_generation_type 与任务不一致")
        }
        return resource
    }

    private func existingOrNew(_ api: SimulatedAPI, mchid: String, id: String, brand: String, type: String?, now: Date)
        throws(SimulatorRefusal) -> SimulatedResource
    {
        let key = Self.key(api, mchid, id)
        let found = state.withLock { state -> SimulatedResource? in
            if let existing = state.resources[key] { return existing }
            guard configuration.createUnknownResources else { return nil }
            var random = SeededRandom(seed: configuration.seed, key: key)
            let created = SimulatedResource(
                api: api,
                mchid: mchid,
                id: id,
                brandID: brand,
                imageGenerationType: type,
                createdAt: now,
                duration: max(0, configuration.durations.draw(&random)),
                outcome: random.unit() < configuration.failureRate ? .failure : .success
            )
            state.resources[key] = created
            return created
        }
        guard let found else { throw SimulatorRefusal(status: 404, code: "RESOURCE_NOT_EXISTS", message: "资源不存在") }
        return found
    }

    // MARK: Answers

    /// Chunks the body of `chunkedShare` of all answers, at evenly spread positions (the fractional parts of
    /// multiples of the golden ratio), so the choice is deterministic and needs no draw from the seeded random.
    private func framed(_ response: HTTPServerResponse) -> HTTPServerResponse {
        guard configuration.chunkedShare > 0 else { return response }
        let counter = state.withLock { state in
            state.answerCounter += 1
            return state.answerCounter
        }
        let position = (Double(counter) * 0.618_033_988_749_894_8).truncatingRemainder(dividingBy: 1)
        guard position < configuration.chunkedShare else { return response }
        var chunked = response
        chunked.framing = .chunked(chunkBytes: Self.chunkBytes)
        return chunked
    }

    /// Small enough that an answer of a few hundred bytes spans several chunks.
    private static let chunkBytes = 128

    private func signedAnswer(_ resource: SimulatedResource, now: Date, fault: Fault?, lane: String)
        -> HTTPServerResponse
    {
        var answer = resource.answer(at: now)
        if fault == .otherResource {
            answer[resource.api == .imageGenerationTask ? "task_id" : "product_coupon_id"] = "other_" + resource.id
        }
        var body = Self.json(answer)
        if fault == .malformedJSON { body = Array("{\"task_state\": \"SUCC".utf8) }
        if fault == .oversizedBody { body = Self.oversized(answer) }
        let timestamp = Int64(now.timeIntervalSince1970) - (fault == .staleTimestamp ? 600 : 0)
        let nonce = SecureRandom.alphanumeric(count: 32)
        let signer = platform.signer(publicKey: (configuration.platformKey, configuration.platformKeyID))
        var signature = sign(body, timestamp: timestamp, nonce: nonce, key: signer.key)
        switch fault {
        case .badSignature: signature = StrictBase64.encode((0..<256).map { _ in UInt8.random(in: 0...255) })
        case .signtestProbe: signature = "WECHATPAY/SIGNTEST/" + signature
        case .tamperedBody: body = Self.json(Self.forged(answer, resource))
        default: break
        }
        var headers = [
            HTTPServerHeader("Content-Type", "application/json"),
            HTTPServerHeader("Request-ID", nextRequestID()),
            HTTPServerHeader("Wechatpay-Nonce", nonce),
            HTTPServerHeader("Wechatpay-Timestamp", String(timestamp)),
            HTTPServerHeader(
                "Wechatpay-Serial", fault == .wrongSerial ? "PUB_KEY_ID_SOMEONE_ELSE" : signer.serial),
            HTTPServerHeader("Wechatpay-Signature-Type", wechatpaySignatureScheme),
        ]
        if fault != .missingSignatureHeaders { headers.append(HTTPServerHeader("Wechatpay-Signature", signature)) }
        state.withLock {
            $0.statistics.lanes[lane, default: SimulatedLaneStatistics()].statuses["200", default: 0] += 1
        }
        return HTTPServerResponse(status: 200, headers: headers, body: body, behaviour: behaviour(for: fault))
    }

    private func behaviour(for fault: Fault?) -> HTTPServerResponse.Behaviour {
        switch fault {
        case .slowAnswer: .delay(.milliseconds(Int64(state.withLock { $0.faults.slowAnswerSeconds } * 1000)))
        case .trickle: .trickle(chunkBytes: 7, interval: .milliseconds(20))
        case .resetMidBody: .resetAfterHeaders
        default: .normal
        }
    }

    private func sign(_ body: [UInt8], timestamp: Int64, nonce: String, key: RSAPrivateKey) -> String {
        let message = SignatureMessage.response(timestamp: String(timestamp), nonce: nonce, body: body)
        let signature = (try? key.signSHA256(message)) ?? []
        return StrictBase64.encode(signature)
    }

    /// What a forger would want believed: the resource finished well, with an attacker's URL.
    private static func forged(_ answer: [String: Any], _ resource: SimulatedResource) -> [String: Any] {
        var forged = answer
        switch resource.api {
        case .imageGenerationTask:
            forged["task_state"] = "SUCCESS"
            forged["combine_image_result"] = ["image_url": "https://attacker.example/forged.jpg"]
            forged["cut_out_result"] = ["image_url": "https://attacker.example/forged.jpg"]
        case .productCoupon:
            forged["state"] = "EFFECTIVE"
        }
        return forged
    }

    private static func oversized(_ answer: [String: Any]) -> [UInt8] {
        var padded = answer
        padded["padding"] = String(repeating: "x", count: 2 << 20)
        return json(padded)
    }

    /// `GET /v3/certificates`: signed like every 2xx, by the key that signs answers now.
    private func certificatesAnswer(_ request: HTTPServerRequest) -> HTTPServerResponse {
        let now = Date()
        let mchid: String
        switch authenticator.authenticate(request, now: now) {
        case .success(let authenticated): mchid = authenticated
        case .failure(let refusal): return errorAnswer(refusal, lane: nil)
        }
        guard let merchant = configuration.merchants.first(where: { $0.mchid == mchid }) else {
            return errorAnswer(SimulatorRefusal.signError("unknown merchant \(mchid)"), lane: nil)
        }
        let body: [UInt8]
        switch platform.certificatesBody(for: merchant) {
        case .success(let sealed): body = sealed
        case .failure(let refusal): return errorAnswer(refusal, lane: nil)
        }
        let timestamp = Int64(now.timeIntervalSince1970)
        let nonce = SecureRandom.alphanumeric(count: 32)
        let signer = platform.signer(publicKey: (configuration.platformKey, configuration.platformKeyID))
        let headers = [
            HTTPServerHeader("Content-Type", "application/json"),
            HTTPServerHeader("Request-ID", nextRequestID()),
            HTTPServerHeader("Wechatpay-Nonce", nonce),
            HTTPServerHeader("Wechatpay-Timestamp", String(timestamp)),
            HTTPServerHeader("Wechatpay-Serial", signer.serial),
            HTTPServerHeader("Wechatpay-Signature-Type", wechatpaySignatureScheme),
            HTTPServerHeader("Wechatpay-Signature", sign(body, timestamp: timestamp, nonce: nonce, key: signer.key)),
        ]
        return HTTPServerResponse(status: 200, headers: headers, body: body)
    }

    private func errorAnswer(_ error: any Error, lane: String? = nil) -> HTTPServerResponse {
        let refusal =
            error as? SimulatorRefusal ?? SimulatorRefusal(status: 500, code: "SYSTEM_ERROR", message: "\(error)")
        return errorAnswer(refusal, lane: lane)
    }

    private func errorAnswer(_ refusal: SimulatorRefusal, lane: String?) -> HTTPServerResponse {
        if let lane {
            state.withLock {
                $0.statistics.lanes[lane, default: SimulatedLaneStatistics()].statuses[
                    String(refusal.status), default: 0] += 1
            }
        }
        let body = Self.json(["code": refusal.code, "message": refusal.message])
        return HTTPServerResponse(
            status: refusal.status,
            headers: [
                HTTPServerHeader("Content-Type", "application/json"), HTTPServerHeader("Request-ID", nextRequestID()),
            ],
            body: body
        )
    }

    private func record(_ fault: Fault, lane: String) {
        state.withLock {
            $0.statistics.lanes[lane, default: SimulatedLaneStatistics()].faults[fault.rawValue, default: 0] += 1
        }
    }

    private func nextRequestID() -> String {
        let counter = state.withLock { state in
            state.requestCounter += 1
            return state.requestCounter
        }
        let hex = String(counter, radix: 16, uppercase: true)
        return "08F5B8C2B506102C18FDDFEEA306" + String(repeating: "0", count: max(0, 16 - hex.count)) + hex + "-0"
    }

    static func json(_ object: [String: Any]) -> [UInt8] {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
        return Array(data)
    }

    // MARK: Parsing

    static func route(_ path: String) -> (SimulatedAPI, String)? {
        for api in SimulatedAPI.allCases where path.hasPrefix(api.pathPrefix) {
            let encoded = path.dropFirst(api.pathPrefix.count)
            guard !encoded.isEmpty, !encoded.contains("/"), let id = String(encoded).removingPercentEncoding else {
                return nil
            }
            return (api, id)
        }
        return nil
    }

    static func queryItems(_ query: String?) -> [String: String] {
        var items: [String: String] = [:]
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = parts.first.flatMap({ String($0).removingPercentEncoding }) else { continue }
            let value = parts.count > 1 ? String(parts[1]).removingPercentEncoding ?? "" : ""
            items[name] = value
        }
        return items
    }
}

extension Duration {
    var secondsValue: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
