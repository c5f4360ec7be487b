import Foundation
import LoopbackHTTPServer
import Testing

@Suite("Persistent connections and limits")
struct ConnectionTests {
    @Test("100 requests share one connection")
    func keepAlive() throws {
        let server = try startServer()
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        for index in 0..<100 {
            try client.send(get("/n/\(index)"))
            let response = try client.readResponse()
            #expect(response.bodyText == #"{"path":"/n/\#(index)"}"#)
            #expect(response.header("Connection") == nil)
        }
        #expect(server.connectionsAccepted == 1)
        #expect(server.requestsHandled == 100)
        #expect(server.openConnections == 1)
    }

    @Test("two pipelined requests in one write are answered in order")
    func pipelining() throws {
        let server = try startServer { request in
            // The first answer is slower, so order cannot come from timing.
            var response = HTTPServerResponse.json(200, request.target)
            if request.path == "/first" { response.behaviour = .delay(.milliseconds(50)) }
            return response
        }
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(get("/first") + "\r\n" + "POST /second?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
        #expect(try client.readResponse().bodyText == "/first")
        #expect(try client.readResponse().bodyText == "/second?x=1")
        #expect(server.connectionsAccepted == 1)
    }

    @Test("Connection: close from the client closes after the response")
    func clientAsksToClose() throws {
        let server = try startServer()
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(get("/", headers: ["Connection: close"]))
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.header("Connection") == "close")
        #expect(client.readToEnd().ending == .closed)
        #expect(eventually { server.openConnections == 0 })
    }

    @Test("a handler's Connection: close also ends the connection")
    func handlerAsksToClose() throws {
        let server = try startServer { _ in
            HTTPServerResponse(status: 503, headers: [HTTPServerHeader("Connection", "close")])
        }
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(get("/"))
        #expect(try client.readResponse().status == 503)
        #expect(client.readToEnd().ending == .closed)
    }

    @Test("HTTP/1.0 closes unless it asks for keep-alive")
    func http10() throws {
        let server = try startServer()
        defer { server.stop() }
        let persistent = try TestClient(port: server.port)
        for _ in 0..<2 {
            try persistent.send(get("/", version: "HTTP/1.0", headers: ["Connection: keep-alive"]))
            #expect(try persistent.readResponse().header("Connection") == "keep-alive")
        }
        let single = try TestClient(port: server.port)
        try single.send(get("/", version: "HTTP/1.0"))
        #expect(try single.readResponse().header("Connection") == "close")
        #expect(single.readToEnd().ending == .closed)
        #expect(server.connectionsAccepted == 2)
    }

    @Test("an idle connection is closed after the idle timeout")
    func idleTimeout() throws {
        let server = try startServer(idleTimeout: .milliseconds(300))
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(get("/"))
        _ = try client.readResponse()
        var ending = ReadOutcome.timedOut
        let elapsed = measure { ending = client.readToEnd(timeout: .seconds(3)).ending }
        #expect(ending == .closed)
        #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(2))
        #expect(eventually { server.openConnections == 0 })
    }

    @Test("a request head over 64 KiB gets 431 and the connection closes")
    func oversizedHead() throws {
        let server = try startServer()
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(get("/", headers: ["X-Big: " + String(repeating: "a", count: 70_000)]))
        let response = try client.readResponse()
        #expect(response.status == 431)
        #expect(response.header("Connection") == "close")
        #expect(client.readToEnd().ending == .closed)
        #expect(server.requestsHandled == 0)
    }

    @Test("a request head just under 64 KiB is served")
    func largeHeadWithinLimit() throws {
        let server = try startServer()
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(get("/", headers: ["X-Big: " + String(repeating: "a", count: 60_000)]))
        #expect(try client.readResponse().status == 200)
    }

    @Test(
        "a malformed request line gets 400 and the connection closes",
        arguments: [
            "GARBAGE\r\n\r\n", "GET /\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1 extra\r\n\r\n",
            "GET /a\u{7F}b HTTP/1.1\r\n\r\n", "G(T / HTTP/1.1\r\n\r\n", "GET / HTTP/one\r\n\r\n",
            "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
            "GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", "GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
            "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        ]
    )
    func malformedRequest(raw: String) throws {
        let server = try startServer()
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(raw)
        let response = try client.readResponse()
        #expect(response.status == 400)
        #expect(response.bodyText.hasPrefix("bad request: "))
        #expect(client.readToEnd().ending == .closed)
        #expect(server.requestsHandled == 0)
    }

    @Test(
        "unsupported framing is refused with the right status",
        arguments: [
            ("POST / HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n", 413),
            ("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413),
            ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 501),
            ("GET / HTTP/2.0\r\n\r\n", 505),
        ]
    )
    func refusedFraming(raw: String, status: Int) throws {
        let server = try startServer()
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(raw)
        #expect(try client.readResponse().status == status)
        #expect(client.readToEnd().ending == .closed)
    }

    @Test("a body of exactly 1 MiB is accepted")
    func largestBody() throws {
        let server = try startServer { HTTPServerResponse(status: 200, body: Array("\($0.body.count)".utf8)) }
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(
            Array("POST / HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n".utf8) + [UInt8](repeating: 7, count: 1_048_576))
        #expect(try client.readResponse().bodyText == "1048576")
    }

    @Test("a request cut off by the idle timeout gets 408")
    func partialRequestTimesOut() throws {
        let server = try startServer(idleTimeout: .milliseconds(200))
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n")
        #expect(try client.readResponse().status == 408)
        #expect(client.readToEnd().ending == .closed)
    }
}
