import Foundation
import LoopbackHTTPServer
import Testing

@Suite("Fault behaviours")
struct BehaviourTests {
    private let body = Array(String(repeating: "0123456789", count: 10).utf8)

    private func server(_ behaviour: HTTPServerResponse.Behaviour) throws -> HTTPServer {
        let body = body
        return try startServer { _ in HTTPServerResponse(status: 200, body: body, behaviour: behaviour) }
    }

    @Test("delay answers normally, no sooner than asked")
    func delay() throws {
        let server = try server(.delay(.milliseconds(200)))
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        var response: TestResponse?
        let elapsed = try measure {
            try client.send(get("/"))
            response = try client.readResponse()
        }
        #expect(elapsed >= .milliseconds(200))
        #expect(response?.body == body)
        try client.send(get("/again"))
        #expect(try client.readResponse().status == 200)
    }

    @Test("resetConnection sends nothing and the client reads ECONNRESET")
    func resetConnection() throws {
        let server = try server(.resetConnection)
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(get("/"))
        let (bytes, ending, _) = client.readToEnd()
        #expect(bytes.isEmpty)
        #expect(ending == .reset)
        #expect(eventually { server.openConnections == 0 })
    }

    @Test("resetAfterHeaders announces the full length, sends half the body, then resets")
    func resetAfterHeaders() throws {
        let server = try server(.resetAfterHeaders)
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(get("/"))
        let (bytes, ending, _) = client.readToEnd()
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        #expect(parts.count == 2)
        #expect(parts[0].hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(parts[0].contains("Content-Length: 100\r\n"))
        #expect(parts.last == String(decoding: body.prefix(50), as: UTF8.self))
        #expect(ending == .reset)
    }

    @Test("trickle delivers the whole response in pieces, one interval per piece")
    func trickle() throws {
        let server = try server(.trickle(chunkBytes: 16, interval: .milliseconds(15)))
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        var result: (bytes: [UInt8], ending: ReadOutcome, reads: Int) = ([], .timedOut, 0)
        let elapsed = try measure {
            try client.send(get("/", headers: ["Connection: close"]))
            result = client.readToEnd()
        }
        let text = String(decoding: result.bytes, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(text.hasSuffix("\r\n\r\n" + String(decoding: body, as: UTF8.self)))
        #expect(result.ending == .closed)
        let pieces = (result.bytes.count + 15) / 16
        #expect(elapsed >= .milliseconds(15) * pieces)
        #expect(result.reads > 1)
    }

    @Test("hang never answers, and stop() still returns promptly")
    func hang() throws {
        let server = try server(.hang)
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(get("/"))
        #expect(client.read(timeout: .milliseconds(300)) == .timedOut)
        #expect(server.openConnections == 1)
        let elapsed = measure { server.stop() }
        #expect(elapsed < .seconds(2))
        #expect(server.openConnections == 0)
        #expect(client.readToEnd(timeout: .seconds(1)).ending == .closed)
    }

    @Test("a hanging connection is released when the client gives up")
    func hangReleasedByClient() throws {
        let server = try server(.hang)
        defer { server.stop() }
        var client: TestClient? = try TestClient(port: server.port)
        try client?.send(get("/"))
        #expect(eventually { server.requestsHandled == 1 })
        client = nil
        #expect(eventually { server.openConnections == 0 })
    }

    @Test("stop() cuts a long delay short")
    func stopDuringDelay() throws {
        let server = try server(.delay(.seconds(30)))
        let client = try TestClient(port: server.port)
        try client.send(get("/"))
        #expect(eventually { server.requestsHandled == 1 })
        let elapsed = measure { server.stop() }
        #expect(elapsed < .seconds(2))
        #expect(client.readToEnd(timeout: .seconds(1)).bytes.isEmpty)
    }
}
