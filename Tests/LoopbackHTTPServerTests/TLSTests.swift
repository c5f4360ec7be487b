import LoopbackHTTPServer
import Testing
import WatcherCrypto

@Suite("TLS")
struct TLSTests {
    /// A server certificate for localhost and 127.0.0.1 from a fresh authority, as the simulator makes one.
    private struct Credentials {
        let authority: CertificateAuthority
        let configuration: ServerTLSConfiguration

        init() throws {
            authority = try CertificateAuthority(commonName: "loopback test CA")
            let leaf = try authority.issue(
                commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
            configuration = ServerTLSConfiguration(
                certificateChainPEM: leaf.certificatePEM, privateKeyPEM: leaf.privateKeyPEM)
        }
    }

    private func startTLSServer(
        _ credentials: Credentials, idleTimeout: Duration = .seconds(8)
    ) throws -> HTTPServer {
        let server = try HTTPServer(idleTimeout: idleTimeout, tls: credentials.configuration) { request in
            .json(200, #"{"path":"\#(request.path)"}"#)
        }
        server.start()
        return server
    }

    @Test("requests over TLS reach the handler, several on one connection, and the origin says https")
    func requestsOverTLS() throws {
        let credentials = try Credentials()
        let server = try startTLSServer(credentials)
        defer { server.stop() }
        #expect(server.origin == "https://127.0.0.1:\(server.port)")
        let client = try TLSTestClient(port: server.port, trusting: credentials.authority.pem.certificatePEM)
        #expect(client.handshake() == nil)
        #expect(client.send(get("/first") + get("/second", headers: ["Connection: close"])))
        let answer = client.readToEnd()
        #expect(answer.contains(#"{"path":"/first"}"#))
        #expect(answer.hasSuffix(#"{"path":"/second"}"#))
        #expect(server.requestsHandled == 2)
        #expect(server.handshakesCompleted == 1)
        #expect(server.handshakesFailed == 0)
    }

    @Test("a client that refuses the certificate never reaches the handler")
    func refusedCertificate() throws {
        let credentials = try Credentials()
        let server = try startTLSServer(credentials)
        defer { server.stop() }
        let stranger = try CertificateAuthority(commonName: "another test CA")
        let client = try TLSTestClient(port: server.port, trusting: stranger.pem.certificatePEM)
        let failure = client.handshake()
        #expect(failure?.contains("certificate verify failed") == true)
        #expect(eventually { server.handshakesFailed == 1 })
        #expect(server.lastHandshakeFailure?.contains("unknown ca") == true)
        #expect(server.requestsHandled == 0)
        #expect(server.handshakesCompleted == 0)
    }

    @Test("a client that connects and never starts the handshake is dropped after the idle timeout")
    func silentClient() throws {
        let server = try startTLSServer(try Credentials(), idleTimeout: .milliseconds(200))
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        #expect(client.readToEnd().ending == .closed)
        #expect(eventually { server.handshakesFailed == 1 })
        #expect(server.lastHandshakeFailure?.contains("did not finish the TLS handshake") == true)
        #expect(server.requestsHandled == 0)
    }

    @Test("plain HTTP sent to the TLS port never reaches the handler")
    func plainHTTPToTLS() throws {
        let server = try startTLSServer(try Credentials())
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(get("/"))
        _ = client.readToEnd()
        #expect(eventually { server.handshakesFailed == 1 })
        #expect(server.lastHandshakeFailure?.contains("http request") == true)
        #expect(server.requestsHandled == 0)
    }

    @Test("a key that does not belong to the certificate is refused when the server is made")
    func mismatchedKey() throws {
        let credentials = try Credentials()
        let otherKey = try credentials.authority.issue(commonName: "localhost").privateKeyPEM
        let configuration = ServerTLSConfiguration(
            certificateChainPEM: credentials.configuration.certificateChainPEM, privateKeyPEM: otherKey)
        #expect(throws: HTTPServerError.self) {
            try HTTPServer(tls: configuration) { _ in HTTPServerResponse(status: 204) }
        }
    }
}
