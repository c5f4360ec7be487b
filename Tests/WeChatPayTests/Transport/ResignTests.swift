import Foundation
import Testing
import WatcherLog
import WatcherTestSupport
import WeChatPay

@Suite("A request is sent once; a retry is signed again")
struct ResignTests {
    let request = APIRequest(pathSegments: ["v3", "things", "one"], query: [("brand_id", "120344")])

    /// A signed 200 as bytes on the wire.
    static func signedAnswer() -> String {
        let answer = SignedAnswers.ok("{\"ok\":true}")
        let headers = answer.headers.map { "\($0.name): \($0.value)\r\n" }.joined()
        return "HTTP/1.1 200 OK\r\n\(headers)Content-Length: \(answer.body.count)\r\n\r\n"
            + String(decoding: answer.body, as: UTF8.self)
    }

    static func nonce(of request: String) -> String? {
        let line = request.split(separator: "\r\n").first { $0.hasPrefix("Authorization: ") }
        return line.flatMap { AuthorizationHeader.parse(String($0.dropFirst("Authorization: ".count)))?.nonce }
    }

    @Test(
        "a kept-alive connection the server closed after reading the request: not sent again, since the server may have counted it; the next request is signed afresh on a new connection"
    )
    func deliveredRequestIsNotResent() async throws {
        let server = ScriptedServer { peer in
            if peer.index == 0 {
                guard peer.readRequest() != nil else { return }
                peer.write(Self.signedAnswer())
                // The second request arrives and the server closes without answering.
                _ = peer.readRequest()
                return
            }
            while peer.readRequest() != nil { peer.write(Self.signedAnswer()) }
        }
        defer { server.stop() }
        let log = InMemoryLogSink()
        let client = WeChatPayClient(
            credentials: testCredentials(),
            hosts: APIHosts(primary: server.url, backup: nil),
            transport: try SocketTransport(
                settings: SocketTransport.Settings(idleConnectionTimeout: .seconds(120)), logger: Logger(sink: log)),
            requestTimeout: .seconds(60),
            userAgent: "wechatpay-watcher/test",
            logger: Logger(sink: log)
        )
        var outcomes: [APIOutcome] = []
        for _ in 0..<3 { outcomes.append(await client.send(request).outcome) }
        guard case .verified = outcomes[0], case .verified = outcomes[2] else {
            Issue.record("first and third not verified: \(outcomes)")
            return
        }
        guard case .failed(.reusedConnectionClosed(_, requestDelivered: true)) = outcomes[1] else {
            Issue.record("expected the delivered request to fail without a resend, got \(outcomes[1])")
            return
        }
        let nonces = server.requests.compactMap(Self.nonce)
        #expect(nonces.count == 3)
        #expect(Set(nonces).count == nonces.count)
        #expect(server.connections == 2)
        #expect(log.records(named: "request.resigned").isEmpty)
    }
    @Test(
        "a kept-alive connection reset on the next request: no failover to the backup host, and the next poll is signed afresh"
    )
    func resetKeptAliveConnectionStaysOnThePrimary() async throws {
        let server = ScriptedServer { peer in
            if peer.index == 0 {
                guard peer.readRequest() != nil else { return }
                peer.write(Self.signedAnswer())
                guard peer.readRequest() != nil else { return }
                peer.armReset()
                return
            }
            while peer.readRequest() != nil { peer.write(Self.signedAnswer()) }
        }
        let backup = ScriptedServer { peer in
            while peer.readRequest() != nil { peer.write(Self.signedAnswer()) }
        }
        defer {
            server.stop()
            backup.stop()
        }
        let log = InMemoryLogSink()
        let client = WeChatPayClient(
            credentials: testCredentials(),
            hosts: APIHosts(primary: server.url, backup: backup.url),
            transport: try SocketTransport(
                settings: SocketTransport.Settings(idleConnectionTimeout: .seconds(120)), logger: Logger(sink: log)),
            requestTimeout: .seconds(60),
            userAgent: "wechatpay-watcher/test",
            logger: Logger(sink: log)
        )
        var outcomes: [APIOutcome] = []
        for _ in 0..<3 { outcomes.append(await client.send(request).outcome) }
        guard case .failed(let failure) = outcomes[1] else {
            Issue.record("expected the reset request to fail, got \(outcomes[1])")
            return
        }
        #expect(failure == .reusedConnectionClosed("connection reset by the server", requestDelivered: true))
        #expect(failure.isConnectionLevel == false)
        guard case .verified = outcomes[2] else {
            Issue.record("the next poll was not answered: \(outcomes[2])")
            return
        }
        #expect(backup.connections == 0)
        let nonces = server.requests.compactMap(Self.nonce)
        #expect(nonces.count == 3)
        #expect(Set(nonces).count == 3)
    }
}
