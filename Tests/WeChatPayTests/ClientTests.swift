import Foundation
import Synchronization
import Testing
import WatcherCrypto
import WatcherLog
import WatcherTestSupport
import WeChatPay

@Suite("WeChatPayClient")
struct ClientTests {
    let request = APIRequest(
        pathSegments: ["v3", "marketing", "partner", "product-coupon", "image-generation-tasks", "task_1"],
        query: [("brand_id", "120344"), ("image_generation_type", "COMBINE_IMAGE")]
    )

    func client(
        _ transport: FakeTransport, backup: String? = "https://backup.example", clock: ClientClock = .system,
        log: InMemoryLogSink = InMemoryLogSink()
    ) -> WeChatPayClient {
        WeChatPayClient(
            credentials: testCredentials(),
            hosts: APIHosts(primary: "https://primary.example", backup: backup),
            transport: transport,
            requestTimeout: .seconds(2),
            userAgent: "wechatpay-watcher/test",
            clock: clock,
            logger: Logger(sink: log)
        )
    }

    @Test("every request is signed over the URL it is sent to and carries Accept, Wechatpay-Serial and User-Agent")
    func signedHeaders() async throws {
        let transport = FakeTransport { _ in SignedAnswers.ok("{}") }
        _ = await client(transport).send(request)
        let sent = try #require(transport.requests.first)
        #expect(sent.url == "https://primary.example" + request.canonicalURL)
        #expect(sent.headers.value(for: "Accept") == "application/json")
        #expect(sent.headers.value(for: "Wechatpay-Serial") == TestKeys.platformKeyID)
        #expect(sent.headers.value(for: "User-Agent") == "wechatpay-watcher/test")
        let authorization = try #require(AuthorizationHeader.parse(sent.headers.value(for: "Authorization") ?? ""))
        let message = SignatureMessage.request(
            method: "GET",
            canonicalURL: request.canonicalURL,
            timestamp: authorization.timestamp,
            nonce: authorization.nonce,
            body: ""
        )
        let signature = try #require(StrictBase64.decode(authorization.signature))
        #expect(TestKeys.merchant.publicKey.isValidSignatureSHA256(signature, for: Array(message.utf8)))
        #expect(authorization.nonce.count == 32)
    }

    @Test("each retry is freshly signed: two sends never share a nonce")
    func freshNonces() async {
        let transport = FakeTransport { _ in SignedAnswers.ok("{}") }
        let client = client(transport)
        _ = await client.send(request)
        _ = await client.send(request)
        let nonces = transport.requests.compactMap {
            AuthorizationHeader.parse($0.headers.value(for: "Authorization") ?? "")?.nonce
        }
        #expect(nonces.count == 2 && nonces[0] != nonces[1])
    }

    @Test("a verified answer, an error answer and an unverified answer are told apart")
    func classification() async {
        let verified = await client(FakeTransport { _ in SignedAnswers.ok(#"{"a":1}"#) }).send(request)
        #expect(verified.outcome == .verified(status: 200, body: Array(#"{"a":1}"#.utf8)))
        #expect(verified.requestID == "08F5B8C2B506102C18FDDFEEA30620BE821E28EDC405-0")

        let error = await client(FakeTransport { _ in SignedAnswers.error(400, code: "PARAM_ERROR", message: "bad") })
            .send(request)
        guard case .errorAnswer(400, let body?, _) = error.outcome else {
            Issue.record("expected an error answer, got \(error.outcome)")
            return
        }
        #expect(body.code == "PARAM_ERROR")

        let forged = await client(FakeTransport { _ in SignedAnswers.ok("{}", key: TestKeys.stranger) }).send(request)
        #expect(forged.outcome == .unverified(.signatureMismatch, status: 200))
    }

    @Test("a refused connection moves traffic to the backup, a 4xx never does")
    func failover() async {
        let transport = FakeTransport { request throws(TransportFailure) in
            if request.url.hasPrefix("https://primary.example") { throw .connectFailed("Connection refused") }
            return SignedAnswers.ok("{}")
        }
        let log = InMemoryLogSink()
        let client = client(transport, log: log)
        let first = await client.send(request)
        #expect(first.outcome == .failed(.connectFailed("Connection refused")))
        let second = await client.send(request)
        #expect(second.baseURL == "https://backup.example")
        #expect(second.outcome == .verified(status: 200, body: Array("{}".utf8)))
        #expect(client.isOnBackupHost)
        #expect(log.records(named: "api.failover").count == 1)

        let rejecting = self.client(FakeTransport { _ in SignedAnswers.error(404, code: "NOT_FOUND") })
        _ = await rejecting.send(request)
        let again = await rejecting.send(request)
        #expect(again.baseURL == "https://primary.example")
    }

    @Test("without a backup host, connection failures leave traffic on the primary")
    func noBackup() async {
        let transport = FakeTransport { _ throws(TransportFailure) in throw .connectFailed("refused") }
        let client = client(transport, backup: nil)
        _ = await client.send(request)
        let second = await client.send(request)
        #expect(second.baseURL == "https://primary.example")
    }
}

@Suite("HostSelector")
struct HostSelectorTests {
    let hosts = APIHosts(primary: "https://p", backup: "https://b")

    @Test("after the probe interval one request probes the primary; an answer returns traffic to it")
    func probeAndReturn() {
        let selector = HostSelector(hosts: hosts, probeInterval: 30)
        #expect(
            selector.recordFailure(of: "https://p", failure: .connectFailed("x"), now: 0)
                == .switchedToBackup(reason: "cannot connect: x"))
        #expect(selector.baseURL(now: 10) == "https://b")
        #expect(selector.baseURL(now: 31) == "https://p")
        #expect(selector.baseURL(now: 31) == "https://b", "only one probe at a time")
        #expect(selector.recordAnswer(from: "https://p", now: 32) == .returnedToPrimary)
        #expect(selector.baseURL(now: 33) == "https://p")
    }

    @Test("a failed probe doubles the wait before the next one")
    func failedProbe() {
        let selector = HostSelector(hosts: hosts, probeInterval: 30)
        _ = selector.recordFailure(of: "https://p", failure: .timedOut(responseStarted: false), now: 0)
        #expect(selector.baseURL(now: 30) == "https://p")
        #expect(
            selector.recordFailure(of: "https://p", failure: .connectFailed("x"), now: 30)
                == .primaryStillDown(nextProbeInSeconds: 60))
        #expect(selector.baseURL(now: 60) == "https://b")
        #expect(selector.baseURL(now: 91) == "https://p")
    }

    @Test("failures after an answer started, or oversized answers, do not fail over")
    func notConnectionLevel() {
        let selector = HostSelector(hosts: hosts)
        #expect(selector.recordFailure(of: "https://p", failure: .timedOut(responseStarted: true), now: 0) == nil)
        #expect(
            selector.recordFailure(of: "https://p", failure: .connectionLost("reset", responseStarted: true), now: 0)
                == nil)
        #expect(selector.recordFailure(of: "https://p", failure: .bodyTooLarge(limit: 10), now: 0) == nil)
        #expect(!selector.isOnBackup)
    }
}
