import LoopbackHTTPServer
import Testing

@Suite("Chunked responses")
struct ChunkedResponseTests {
    private func startChunkingServer(chunkBytes: Int) throws -> HTTPServer {
        try startServer { _ in
            var response = HTTPServerResponse.json(200, "hello world")
            response.framing = .chunked(chunkBytes: chunkBytes)
            return response
        }
    }

    @Test("a response that asks for chunks is sent in chunks of the size it gives, without Content-Length")
    func chunked() throws {
        let server = try startChunkingServer(chunkBytes: 4)
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(get("/", headers: ["Connection: close"]))
        let text = String(decoding: client.readToEnd().bytes, as: UTF8.self)
        #expect(text.contains("\r\nTransfer-Encoding: chunked\r\n"))
        #expect(!text.lowercased().contains("content-length"))
        #expect(text.hasSuffix("\r\n\r\n4\r\nhell\r\n4\r\no wo\r\n3\r\nrld\r\n0\r\n\r\n"))
    }

    @Test("chunked and Content-Length answers follow each other on one connection")
    func mixed() throws {
        let server = try startServer { request in
            var response = HTTPServerResponse.json(200, request.path)
            if request.path == "/chunked" { response.framing = .chunked(chunkBytes: 100) }
            return response
        }
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(get("/chunked") + get("/plain", headers: ["Connection: close"]))
        let text = String(decoding: client.readToEnd().bytes, as: UTF8.self)
        #expect(text.contains("\r\n\r\n8\r\n/chunked\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n"))
        #expect(text.contains("Content-Length: 6\r\n"))
        #expect(text.hasSuffix("\r\n\r\n/plain"))
        #expect(server.connectionsAccepted == 1)
    }

    @Test("an HTTP/1.0 client, which cannot read chunks, gets Content-Length")
    func http10() throws {
        let server = try startChunkingServer(chunkBytes: 4)
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(get("/", version: "HTTP/1.0"))
        let response = try client.readResponse()
        #expect(response.header("Transfer-Encoding") == nil)
        #expect(response.bodyText == "hello world")
    }

    @Test("an empty chunked body is the last chunk alone")
    func emptyBody() throws {
        let server = try startServer { _ in
            HTTPServerResponse(status: 200, framing: .chunked(chunkBytes: 8))
        }
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(get("/", headers: ["Connection: close"]))
        let text = String(decoding: client.readToEnd().bytes, as: UTF8.self)
        #expect(text.contains("\r\nTransfer-Encoding: chunked\r\n"))
        #expect(text.hasSuffix("\r\n\r\n0\r\n\r\n"))
    }
}
