import Foundation
import Testing
import WatcherLog
import WatcherSync
import WatcherTestSupport

@testable import WeChatPay

@Suite("SocketTransport over plain TCP")
struct TransportTests {
    func transport(idle: Duration = .seconds(120), proxies: ProxyRoutes = .direct) throws -> SocketTransport {
        try SocketTransport(
            settings: SocketTransport.Settings(proxies: proxies, idleConnectionTimeout: idle),
            logger: Logger(sink: InMemoryLogSink()))
    }

    func get(_ url: String, headers: [HTTPHeader] = []) -> HTTPRequest {
        HTTPRequest(method: "GET", url: url, headers: headers)
    }

    func failure(
        of transport: SocketTransport, _ url: String, timeout: Duration = .seconds(60), cap: Int = 1 << 20
    ) async -> TransportFailure? {
        do {
            _ = try await transport.send(get(url), timeout: timeout, maxBodyBytes: cap)
            return nil
        } catch {
            return error
        }
    }

    @Test("a GET goes out once with Host and the caller's headers, no Accept-Encoding, and its answer comes back")
    func roundTrip() async throws {
        let server = ScriptedServer { peer in
            guard peer.readRequest() != nil else { return }
            peer.write(okAnswer("{\"ok\":true}", headers: ["Request-ID: R-1", "X-Twice: a", "X-Twice: b"]))
        }
        defer { server.stop() }
        let response = try await transport().send(
            get(server.url + "/v3/x?brand_id=1", headers: [HTTPHeader("Accept", "application/json")]),
            timeout: .seconds(60), maxBodyBytes: 1 << 20)
        #expect(response.status == 200)
        #expect(response.body == Array("{\"ok\":true}".utf8))
        #expect(response.headers.value(for: "request-id") == "R-1")
        #expect(response.headers.values(for: "X-Twice") == ["a", "b"])
        let sent = try #require(server.requests.first)
        #expect(sent.hasPrefix("GET /v3/x?brand_id=1 HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\n"))
        #expect(sent.contains("Accept: application/json\r\n"))
        #expect(!sent.lowercased().contains("accept-encoding"))
        #expect(server.requests.count == 1)
    }

    @Test("a chunked answer over the network is decoded")
    func chunked() async throws {
        let server = ScriptedServer { peer in
            guard peer.readRequest() != nil else { return }
            peer.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
            peer.write("2\r\nde\r\n0\r\n\r\n")
        }
        defer { server.stop() }
        let response = try await transport().send(get(server.url + "/"), timeout: .seconds(60), maxBodyBytes: 100)
        #expect(response.body == Array("abcde".utf8))
    }

    @Test("two requests in a row share one kept-alive connection")
    func keepAlive() async throws {
        let server = ScriptedServer { peer in
            while peer.readRequest() != nil { peer.write(okAnswer("ok")) }
        }
        defer { server.stop() }
        let transport = try transport()
        for _ in 0..<3 { _ = try await transport.send(get(server.url + "/"), timeout: .seconds(60), maxBodyBytes: 100) }
        #expect(server.requests.count == 3)
        #expect(server.connections == 1)
    }

    @Test("an answer with Connection: close is not reused")
    func connectionClose() async throws {
        let server = ScriptedServer { peer in
            guard peer.readRequest() != nil else { return }
            peer.write(okAnswer("ok", headers: ["Connection: close"]))
        }
        defer { server.stop() }
        let transport = try transport()
        for _ in 0..<2 { _ = try await transport.send(get(server.url + "/"), timeout: .seconds(60), maxBodyBytes: 100) }
        #expect(server.connections == 2)
    }

    @Test("a connection idle for the idle setting is closed by the client and never reused")
    func idleClose() async throws {
        let closedByClient = Locked<[Bool]>([])
        let server = ScriptedServer { peer in
            guard peer.readRequest() != nil else { return }
            peer.write(okAnswer("ok"))
            closedByClient.withLock { $0.append(peer.clientClosed(within: .seconds(30))) }
        }
        defer { server.stop() }
        let transport = try transport(idle: .milliseconds(200))
        _ = try await transport.send(get(server.url + "/"), timeout: .seconds(60), maxBodyBytes: 100)
        try await Task.sleep(for: .milliseconds(400))
        #expect(transport.idleConnections(to: server.url) == 0)
        _ = try await transport.send(get(server.url + "/"), timeout: .seconds(60), maxBodyBytes: 100)
        #expect(server.connections == 2)
        server.stop()
        #expect(closedByClient.withLock { $0.first } == true)
    }

    @Test("a kept-alive connection the server closed before answering is reported as such, never re-sent")
    func reusedConnectionClosed() async throws {
        let server = ScriptedServer { peer in
            guard peer.readRequest() != nil else { return }
            peer.write(okAnswer("ok"))
            // Reads the second request, then closes without a byte of answer.
            _ = peer.readRequest()
        }
        defer { server.stop() }
        let transport = try transport()
        _ = try await transport.send(get(server.url + "/"), timeout: .seconds(60), maxBodyBytes: 100)
        let failure = await failure(of: transport, server.url + "/")
        guard case .reusedConnectionClosed = failure else {
            Issue.record("expected reusedConnectionClosed, got \(String(describing: failure))")
            return
        }
        #expect(server.requests.count == 2)
        #expect(failure?.kind == "reused_connection_closed")
    }

    @Test(
        "a reset of a kept-alive connection after the request was read is a closed kept-alive connection, delivered: never re-sent, not a host problem"
    )
    func resetIsNotRetried() async throws {
        let server = ScriptedServer { peer in
            guard peer.readRequest() != nil else { return }
            peer.write(okAnswer("ok"))
            guard peer.readRequest() != nil else { return }
            peer.armReset()
        }
        defer { server.stop() }
        let transport = try transport()
        _ = try await transport.send(get(server.url + "/"), timeout: .seconds(60), maxBodyBytes: 100)
        let failure = await failure(of: transport, server.url + "/")
        #expect(failure == .reusedConnectionClosed("connection reset by the server", requestDelivered: true))
        #expect(failure?.isConnectionLevel == false)
        #expect(server.requests.count == 2)
    }

    @Test("a fresh connection closed before any answer byte is a connection-level loss")
    func freshConnectionClosed() async throws {
        let server = ScriptedServer { peer in _ = peer.readRequest() }
        defer { server.stop() }
        let failure = await failure(of: try transport(), server.url + "/")
        #expect(failure == .connectionLost("the server closed the connection before answering", responseStarted: false))
        #expect(failure?.isConnectionLevel == true)
    }

    @Test("a server that never answers costs its request the deadline and nothing more")
    func hungPeer() async throws {
        let mute = ScriptedServer { peer in peer.stayMute() }
        let healthy = ScriptedServer { peer in
            while peer.readRequest() != nil { peer.write(okAnswer("ok")) }
        }
        defer {
            mute.stop()
            healthy.stop()
        }
        let transport = try transport()
        async let hung = failure(of: transport, mute.url + "/", timeout: .milliseconds(500))
        for _ in 0..<3 {
            _ = try await transport.send(get(healthy.url + "/"), timeout: .seconds(60), maxBodyBytes: 100)
        }
        #expect(healthy.requests.count == 3)
        #expect(await hung == .timedOut(responseStarted: false, during: "waiting for the answer"))
    }

    @Test("a server that accepts TCP and never answers the TLS handshake is bounded by the deadline")
    func silentTLS() async throws {
        let server = ScriptedServer { peer in peer.stayMute() }
        defer { server.stop() }
        let failure = await failure(
            of: try transport(), "https://127.0.0.1:\(server.port)/", timeout: .milliseconds(300))
        #expect(failure == .timedOut(responseStarted: false, during: "the TLS handshake with 127.0.0.1:\(server.port)"))
        #expect(failure?.description.hasSuffix("(during the TLS handshake with 127.0.0.1:\(server.port))") == true)
        #expect(failure?.isConnectionLevel == true)
    }

    @Test("a closed port is a connection-level failure naming the address")
    func refused() async throws {
        let server = ScriptedServer(listening: false) { _ in }
        defer { server.stop() }
        let failure = await failure(of: try transport(), server.url + "/")
        guard case .connectFailed(let reason) = failure else {
            Issue.record("expected connectFailed, got \(String(describing: failure))")
            return
        }
        #expect(reason.contains("127.0.0.1"))
        #expect(reason.lowercased().contains("refused"))
    }

    @Test("a name that does not resolve is a connection-level failure naming it")
    func unresolvable() async throws {
        let failure = await failure(of: try transport(), "http://no-such-host.invalid/")
        guard case .connectFailed(let reason) = failure else {
            Issue.record("expected connectFailed, got \(String(describing: failure))")
            return
        }
        #expect(reason.contains("no-such-host.invalid"))
        #expect(failure?.isConnectionLevel == true)
    }

    @Test("a body over the cap fails as too large, and the connection is not kept")
    func bodyCap() async throws {
        let server = ScriptedServer { peer in
            while peer.readRequest() != nil { peer.write(okAnswer(String(repeating: "x", count: 200))) }
        }
        defer { server.stop() }
        let transport = try transport()
        #expect(await failure(of: transport, server.url + "/", cap: 100) == .bodyTooLarge(limit: 100))
        #expect(transport.idleConnections(to: server.url) == 0)
    }

    @Test("a compressed answer is a clear failure")
    func compressed() async throws {
        let server = ScriptedServer { peer in
            guard peer.readRequest() != nil else { return }
            peer.write("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\nxx")
        }
        defer { server.stop() }
        let failure = await failure(of: try transport(), server.url + "/")
        guard case .malformedResponse(let reason) = failure else {
            Issue.record("expected malformedResponse, got \(String(describing: failure))")
            return
        }
        #expect(reason.contains("gzip"))
    }

    @Test("cancelling the calling task abandons the exchange at once")
    func cancellation() async throws {
        let server = ScriptedServer { peer in peer.stayMute() }
        defer { server.stop() }
        let transport = try transport()
        let task = Task { await failure(of: transport, server.url + "/", timeout: .seconds(30)) }
        while server.connections == 0 { try await Task.sleep(for: .milliseconds(10)) }
        task.cancel()
        #expect(await task.value == .cancelled)
    }
}
