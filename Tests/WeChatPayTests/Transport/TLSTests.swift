import Foundation
import LoopbackHTTPServer
import Testing
import WatcherCrypto
import WatcherLog
import WatcherTestSupport

@testable import WeChatPay

@Suite("SocketTransport over TLS")
struct TLSTests {
    /// A CA written to a PEM file for `api.ca_file`, and a loopback HTTPS server with a certificate it chooses.
    struct Setup {
        let authority: CertificateAuthority
        let folder: String
        let caFile: String

        init() throws {
            authority = try CertificateAuthority(commonName: "transport test CA")
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            caFile = folder + "/ca.pem"
            try authority.pem.certificatePEM.write(toFile: caFile, atomically: true, encoding: .utf8)
        }

        func server(_ leaf: IssuedCertificate) throws -> HTTPServer {
            let server = try HTTPServer(
                idleTimeout: .seconds(120),
                tls: ServerTLSConfiguration(certificateChainPEM: leaf.certificatePEM, privateKeyPEM: leaf.privateKeyPEM)
            ) { _ in .json(200, #"{"ok":true}"#) }
            server.start()
            return server
        }

        func transport(log: InMemoryLogSink = InMemoryLogSink()) throws -> SocketTransport {
            try SocketTransport(
                settings: SocketTransport.Settings(caFile: caFile, idleConnectionTimeout: .seconds(120)),
                logger: Logger(sink: log))
        }

        func remove() { try? FileManager.default.removeItem(atPath: folder) }
    }

    func failure(_ transport: SocketTransport, _ url: String) async -> TransportFailure? {
        do {
            _ = try await transport.send(
                HTTPRequest(method: "GET", url: url, headers: []), timeout: .seconds(60), maxBodyBytes: 1024)
            return nil
        } catch {
            return error
        }
    }

    @Test("a certificate from the api.ca_file CA for the host name or the address is accepted")
    func goodCertificate() async throws {
        let setup = try Setup()
        defer { setup.remove() }
        let server = try setup.server(
            setup.authority.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"]))
        defer { server.stop() }
        let transport = try setup.transport()
        for host in ["localhost", "127.0.0.1", "localhost"] {
            let response = try await transport.send(
                HTTPRequest(method: "GET", url: "https://\(host):\(server.port)/v3/x", headers: []),
                timeout: .seconds(60), maxBodyBytes: 1024)
            #expect(response.body == Array(#"{"ok":true}"#.utf8))
        }
        #expect(server.requestsHandled == 3)
        #expect(server.handshakesCompleted == 2)
    }

    @Test(
        "a refused certificate names OpenSSL's reason and no request reaches the server's HTTP layer",
        arguments: ["expired", "other host", "untrusted CA", "common name only"])
    func refused(_ case: String) async throws {
        let setup = try Setup()
        defer { setup.remove() }
        let leaf: IssuedCertificate
        let reason: String
        switch `case` {
        case "expired":
            leaf = try setup.authority.issue(
                commonName: "localhost", dnsNames: ["localhost"], validity: .fromNow(-86_400 * 10, to: -86_400))
            reason = "certificate has expired"
        case "other host":
            leaf = try setup.authority.issue(commonName: "api.other.example", dnsNames: ["api.other.example"])
            reason = "hostname mismatch"
        case "common name only":
            // The name only in the subject, not among the alternative names: no fallback to it.
            leaf = try setup.authority.issue(commonName: "localhost")
            reason = "hostname mismatch"
        default:
            let stranger = try CertificateAuthority(commonName: "someone else's CA")
            leaf = try stranger.issue(commonName: "localhost", dnsNames: ["localhost"])
            reason = "unable to get local issuer certificate"
        }
        let server = try setup.server(leaf)
        defer { server.stop() }
        let failure = await failure(try setup.transport(), "https://localhost:\(server.port)/v3/x")
        #expect(failure == .tls(reason: reason))
        #expect(failure?.kind == "tls")
        #expect(failure?.isConnectionLevel == true)
        #expect(server.requestsHandled == 0)
    }

    @Test("an api.ca_file holding only an intermediate CA trusts the chains through it; the root alone is not needed")
    func intermediateAsAnchor() async throws {
        let root = try CertificateAuthority(commonName: "transport test root CA")
        let intermediate = try root.issueIntermediate(commonName: "transport test intermediate CA")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let caFile = folder + "/intermediate.pem"
        try intermediate.pem.certificatePEM.write(toFile: caFile, atomically: true, encoding: .utf8)
        let leaf = try intermediate.issue(commonName: "localhost", dnsNames: ["localhost"])
        let server = try HTTPServer(
            idleTimeout: .seconds(120),
            tls: ServerTLSConfiguration(
                certificateChainPEM: leaf.certificatePEM + intermediate.pem.certificatePEM,
                privateKeyPEM: leaf.privateKeyPEM)
        ) { _ in .json(200, #"{"ok":true}"#) }
        server.start()
        defer { server.stop() }
        let transport = try SocketTransport(
            settings: SocketTransport.Settings(caFile: caFile, idleConnectionTimeout: .seconds(120)),
            logger: Logger(sink: InMemoryLogSink()))
        let response = try await transport.send(
            HTTPRequest(method: "GET", url: "https://localhost:\(server.port)/v3/x", headers: []),
            timeout: .seconds(60), maxBodyBytes: 1024)
        #expect(response.body == Array(#"{"ok":true}"#.utf8))
        // A certificate from another intermediate of the same root is still refused: the file is the whole trust.
        let sibling = try root.issueIntermediate(commonName: "another intermediate CA")
        let stranger = try sibling.issue(commonName: "localhost", dnsNames: ["localhost"])
        let other = try HTTPServer(
            idleTimeout: .seconds(120),
            tls: ServerTLSConfiguration(
                certificateChainPEM: stranger.certificatePEM + sibling.pem.certificatePEM,
                privateKeyPEM: stranger.privateKeyPEM)
        ) { _ in .json(200, #"{"ok":true}"#) }
        other.start()
        defer { other.stop() }
        let refusal = await failure(transport, "https://localhost:\(other.port)/v3/x")
        #expect(refusal?.kind == "tls")
        #expect(other.requestsHandled == 0)
    }

    @Test("several refusals in a row for one host raise one alarm line")
    func alarm() async throws {
        let setup = try Setup()
        defer { setup.remove() }
        let stranger = try CertificateAuthority(commonName: "interceptor")
        let server = try setup.server(stranger.issue(commonName: "localhost", dnsNames: ["localhost"]))
        defer { server.stop() }
        let log = InMemoryLogSink()
        let transport = try setup.transport(log: log)
        for _ in 0..<(SocketTransport.alarmThreshold + 2) {
            _ = await failure(transport, "https://localhost:\(server.port)/")
        }
        let alarms = log.records(named: "tls.refused_repeatedly")
        #expect(alarms.count == 1)
        #expect(server.requestsHandled == 0)
    }

    @Test("a CA file that cannot be loaded is refused at start, naming the path")
    func unreadableCAFile() {
        #expect(throws: TLSSetupError.self) {
            _ = try SocketTransport(
                settings: SocketTransport.Settings(caFile: "/nonexistent/ca.pem"),
                logger: Logger(sink: InMemoryLogSink()))
        }
        do {
            _ = try SocketTransport(
                settings: SocketTransport.Settings(caFile: "/nonexistent/ca.pem"),
                logger: Logger(sink: InMemoryLogSink()))
        } catch {
            #expect(error.description.contains("/nonexistent/ca.pem"))
        }
    }
}
