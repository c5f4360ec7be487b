import Foundation
import LoopbackHTTPServer
import Testing

@Suite("Binding, counters and stop")
struct LifecycleTests {
    @Test("stop() with 20 open connections returns promptly and leaves none open")
    func stopWithOpenConnections() throws {
        let server = try startServer()
        let clients = try (0..<20).map { _ in try TestClient(port: server.port) }
        for client in clients {
            try client.send(get("/"))
            _ = try client.readResponse()
        }
        #expect(server.openConnections == 20)
        #expect(server.connectionsAccepted == 20)
        let elapsed = measure { server.stop() }
        #expect(elapsed < .seconds(2))
        #expect(server.openConnections == 0)
        for client in clients {
            #expect(client.readToEnd(timeout: .seconds(1)).ending == .closed)
        }
        server.stop()
    }

    @Test("after clients close, no connection stays open")
    func noLeaks() throws {
        let server = try startServer()
        defer { server.stop() }
        for _ in 0..<10 {
            let client = try TestClient(port: server.port)
            try client.send(get("/"))
            _ = try client.readResponse()
        }
        #expect(eventually { server.openConnections == 0 })
        #expect(server.connectionsAccepted == 10)
        #expect(server.requestsHandled == 10)
    }

    @Test("a stopped server refuses new connections, and stop() is idempotent")
    func stoppedServerRefuses() throws {
        let server = try startServer()
        let port = server.port
        server.stop()
        server.stop()
        #expect(throws: TestClientError.self) { try TestClient(port: port) }
    }

    @Test("a server that was never started stops cleanly")
    func stopWithoutStart() throws {
        let server = try HTTPServer { _ in HTTPServerResponse(status: 200) }
        #expect(server.port != 0)
        server.stop()
        #expect(server.connectionsAccepted == 0)
    }

    @Test(
        "non-loopback hosts are refused with an error naming the address",
        arguments: ["0.0.0.0", "192.168.1.10", "::", "localhost", "example.com", ""]
    )
    func nonLoopbackRefused(host: String) throws {
        let error = try #require(throws: HTTPServerError.self) {
            _ = try HTTPServer(host: host, port: 8080) { _ in HTTPServerResponse(status: 200) }
        }
        #expect(error.description.hasPrefix("refusing to listen on "))
        #expect(error.description.contains("8080: not a loopback address"))
        #expect(error.systemErrorNumber == nil)
    }

    @Test("any 127/8 address and ::1 are loopback")
    func loopbackAccepted() throws {
        let server = try HTTPServer(host: "127.0.0.2") { _ in HTTPServerResponse(status: 200) }
        server.stop()
        let ipv6: HTTPServer
        do {
            ipv6 = try HTTPServer(host: "::1") { _ in HTTPServerResponse(status: 200) }
        } catch {
            // A host without IPv6 cannot bind ::1; the address must still have been accepted as loopback.
            #expect(error.description.hasPrefix("cannot bind [::1]:0"))
            return
        }
        #expect(ipv6.origin == "http://[::1]:\(ipv6.port)")
        ipv6.stop()
    }

    @Test("a port in use gives an error with the address and strerror")
    func portInUse() throws {
        let first = try startServer()
        defer { first.stop() }
        let error = try #require(throws: HTTPServerError.self) {
            _ = try HTTPServer(port: first.port) { _ in HTTPServerResponse(status: 200) }
        }
        #expect(error.description == "cannot bind 127.0.0.1:\(first.port): Address already in use")
        #expect(error.systemErrorNumber == EADDRINUSE)
    }

    @Test("dropping the last reference stops the server")
    func deinitStops() throws {
        var server: HTTPServer? = try startServer()
        let port = try #require(server?.port)
        server = nil
        #expect(throws: TestClientError.self) { try TestClient(port: port) }
    }
}
