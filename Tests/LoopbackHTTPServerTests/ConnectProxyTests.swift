import LoopbackHTTPServer
import Testing
import WatcherCrypto
import WatcherTestSupport

@Suite("The CONNECT proxy for tests")
struct ConnectProxyTests {
    /// A TLS server for a name no resolver knows, as the proxy tests of the client use it.
    private struct Upstream {
        static let name = "api.wechatpay.test"
        let authority: CertificateAuthority
        let server: HTTPServer

        init() throws {
            authority = try CertificateAuthority(commonName: "proxy test CA")
            let leaf = try authority.issue(commonName: Self.name, dnsNames: [Self.name])
            let tls = ServerTLSConfiguration(
                certificateChainPEM: leaf.certificatePEM, privateKeyPEM: leaf.privateKeyPEM)
            server = try HTTPServer(tls: tls) { request in .json(200, #"{"path":"\#(request.path)"}"#) }
            server.start()
        }

        var target: String { "\(Self.name):\(server.port)" }
    }

    /// Sends CONNECT through `proxy` and returns the connection and the proxy's answer.
    private func connect(
        through proxy: ConnectProxy, to target: String, headers: [String] = []
    ) throws -> (TestClient, TestResponse) {
        let client = try TestClient(port: proxy.port)
        let head = (["CONNECT \(target) HTTP/1.1", "Host: \(target)"] + headers).joined(separator: "\r\n")
        try client.send(head + "\r\n\r\n")
        return (client, try client.readResponse())
    }

    @Test("a name only the proxy can resolve is reached through the tunnel, TLS end to end")
    func tunnel() throws {
        let upstream = try Upstream()
        defer { upstream.server.stop() }
        let proxy = try ConnectProxy(hosts: [Upstream.name: "127.0.0.1"])
        defer { proxy.stop() }
        let (connection, answer) = try connect(through: proxy, to: upstream.target)
        #expect(answer.status == 200)
        let client = try TLSTestClient(
            over: connection, trusting: upstream.authority.pem.certificatePEM, host: Upstream.name)
        #expect(client.handshake() == nil)
        #expect(client.send(get("/through", headers: ["Connection: close"])))
        #expect(client.readToEnd().hasSuffix(#"{"path":"/through"}"#))
        #expect(proxy.statistics.connects == 1)
        #expect(proxy.statistics.tunnels == 1)
        #expect(proxy.statistics.targets == [upstream.target])
        #expect(proxy.url() == "http://127.0.0.1:\(proxy.port)")
    }

    @Test("a name missing from the map is answered 502 and nothing is opened")
    func unknownName() throws {
        let proxy = try ConnectProxy(hosts: [:])
        defer { proxy.stop() }
        let (_, answer) = try connect(through: proxy, to: "api.wechatpay.test:443")
        #expect(answer.status == 502)
        #expect(proxy.statistics.badGateways == 1)
        #expect(proxy.statistics.tunnels == 0)
    }

    @Test("with credentials required, a CONNECT without them is answered 407 and one with them is served")
    func credentials() throws {
        let upstream = try Upstream()
        defer { upstream.server.stop() }
        let proxy = try ConnectProxy(
            hosts: [Upstream.name: "127.0.0.1"], fault: .requireCredentials(user: "egress", password: "s3cret"))
        defer { proxy.stop() }
        let (_, refused) = try connect(through: proxy, to: upstream.target)
        #expect(refused.status == 407)
        #expect(refused.header("Proxy-Authenticate") == #"Basic realm="test proxy""#)
        let (_, wrong) = try connect(
            through: proxy, to: upstream.target, headers: ["Proxy-Authorization: Basic ZWdyZXNzOndyb25n"])
        #expect(wrong.status == 407)
        // "egress:s3cret" in base64.
        let (_, accepted) = try connect(
            through: proxy, to: upstream.target, headers: ["Proxy-Authorization: Basic ZWdyZXNzOnMzY3JldA=="])
        #expect(accepted.status == 200)
        #expect(proxy.statistics.authenticationsRefused == 2)
        #expect(proxy.statistics.tunnels == 1)
        #expect(proxy.url(user: "egress", password: "s3cret") == "http://egress:s3cret@127.0.0.1:\(proxy.port)")
    }

    @Test("a proxy that dies while opening the tunnel closes the connection without an answer")
    func closeBeforeAnswering() throws {
        let proxy = try ConnectProxy(hosts: [Upstream.name: "127.0.0.1"], fault: .closeBeforeAnswering)
        defer { proxy.stop() }
        let client = try TestClient(port: proxy.port)
        try client.send("CONNECT \(Upstream.name):443 HTTP/1.1\r\nHost: \(Upstream.name):443\r\n\r\n")
        let (bytes, ending, _) = client.readToEnd()
        #expect(bytes.isEmpty)
        #expect(ending == .closed)
        #expect(proxy.statistics.tunnelsCut == 1)
        #expect(proxy.statistics.tunnels == 0)
    }

    @Test("a proxy that refuses connections refuses at the TCP level")
    func refusing() throws {
        let proxy = try ConnectProxy(refusesConnections: true)
        defer { proxy.stop() }
        #expect(throws: TestClientError.self) { try TestClient(port: proxy.port) }
    }

    @Test("a tunnel cut as the client starts sending ends the handshake, and no request reaches the server")
    func cutTunnel() throws {
        let upstream = try Upstream()
        defer { upstream.server.stop() }
        let proxy = try ConnectProxy(hosts: [Upstream.name: "127.0.0.1"], fault: .closeTunnels(afterClientBytes: 0))
        defer { proxy.stop() }
        let (connection, answer) = try connect(through: proxy, to: upstream.target)
        #expect(answer.status == 200)
        let client = try TLSTestClient(
            over: connection, trusting: upstream.authority.pem.certificatePEM, host: Upstream.name)
        #expect(client.handshake() != nil)
        #expect(eventually { proxy.statistics.tunnelsCut == 1 })
        #expect(upstream.server.requestsHandled == 0)
    }
}
