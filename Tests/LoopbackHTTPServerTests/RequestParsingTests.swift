import Foundation
import LoopbackHTTPServer
import Testing

@Suite("Request parsing")
struct RequestParsingTests {
    @Test("method, raw target, headers and body reach the handler exactly as sent")
    func requestReachesHandlerAsSent() throws {
        let recorder = RequestRecorder()
        let server = try startServer { request in
            recorder.record(request)
            return .json(200, "{}")
        }
        defer { server.stop() }
        let target = "/v3/marketing/x/abc%2Fdef?brand_id=1&t=%E4%B8%AD%20x&sig=a%2Bb%3D&empty="
        let body = #"{"hello":"世界"}"#
        let client = try TestClient(port: server.port)
        let before = ContinuousClock.now
        try client.send(
            "POST \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nWechatpay-Serial: 5157F09EFDC096DE15EBE81A47057A72\r\n"
                + "content-type: application/json\r\nX-Padded: \t spaced  value \t\r\nX-Empty:\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let response = try client.readResponse()

        #expect(response.status == 200)
        let request = try #require(recorder.all.first)
        #expect(request.method == "POST")
        #expect(request.target == target)
        #expect(request.path == "/v3/marketing/x/abc%2Fdef")
        #expect(request.query == "brand_id=1&t=%E4%B8%AD%20x&sig=a%2Bb%3D&empty=")
        #expect(request.header("WECHATPAY-SERIAL") == "5157F09EFDC096DE15EBE81A47057A72")
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.header("x-padded") == "spaced  value")
        #expect(request.header("X-Empty") == "")
        #expect(request.header("Missing") == nil)
        #expect(
            request.headers.map(\.name) == [
                "Host", "Wechatpay-Serial", "content-type", "X-Padded", "X-Empty", "Content-Length",
            ])
        #expect(request.body == Array(body.utf8))
        #expect(request.bodyText == body)
        #expect(request.receivedAt >= before && request.receivedAt <= .now)
    }

    @Test("a target without a query has a nil query; a trailing ? has an empty one")
    func pathAndQuery() {
        #expect(HTTPServerRequest(method: "GET", target: "/a/b").query == nil)
        #expect(HTTPServerRequest(method: "GET", target: "/a/b").path == "/a/b")
        #expect(HTTPServerRequest(method: "GET", target: "/a?").query == "")
        #expect(HTTPServerRequest(method: "GET", target: "/a?x=1?y").query == "x=1?y")
    }

    @Test("the first of repeated headers wins, compared case-insensitively")
    func repeatedHeaders() {
        let request = HTTPServerRequest(
            method: "GET", target: "/",
            headers: [HTTPServerHeader("X-Id", "1"), HTTPServerHeader("x-id", "2")])
        #expect(request.header("X-ID") == "1")
    }

    @Test("every response carries Content-Length and Date; HEAD gets the length but no body")
    func framingHeaders() throws {
        let server = try startServer { _ in
            HTTPServerResponse(
                status: 200, headers: [HTTPServerHeader("Content-Length", "999")], body: Array("hello".utf8))
        }
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(get("/"))
        let response = try client.readResponse()
        #expect(response.header("Content-Length") == "5")
        #expect(response.count(of: "Content-Length") == 1)
        #expect(response.bodyText == "hello")
        let date = try #require(response.header("Date"))
        #expect(date.hasSuffix(" GMT") && date.count == 29)

        try client.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        let head = try client.readResponse(hasBody: false)
        #expect(head.header("Content-Length") == "5")
        // Had any body bytes followed the HEAD response, they would spoil the next response's status line.
        try client.send(get("/again"))
        #expect(try client.readResponse().bodyText == "hello")
    }

    @Test("a body split across writes and a client waiting for 100 Continue are both served")
    func bodyArrivesInPieces() throws {
        let recorder = RequestRecorder()
        let server = try startServer { request in
            recorder.record(request)
            return HTTPServerResponse(status: 201)
        }
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send("PUT /split HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234")
        Thread.sleep(forTimeInterval: 0.05)
        try client.send("56789")
        #expect(try client.readResponse().status == 201)

        try client.send("PUT /continue HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
        #expect(try client.readResponse().status == 100)
        try client.send("abc")
        #expect(try client.readResponse().status == 201)
        #expect(recorder.all.map(\.bodyText) == ["0123456789", "abc"])
    }

    @Test("the JSON helper sets the content type once and keeps the caller's headers")
    func jsonHelper() {
        let response = HTTPServerResponse.json(
            429, #"{"code":"RATELIMIT_EXCEEDED"}"#, headers: [HTTPServerHeader("Request-ID", "r-1")])
        #expect(response.status == 429)
        #expect(
            response.headers == [
                HTTPServerHeader("Content-Type", "application/json"), HTTPServerHeader("Request-ID", "r-1"),
            ])
        #expect(response.behaviour == .normal)
        let custom = HTTPServerResponse.json(
            200, "{}", headers: [HTTPServerHeader("content-type", "application/problem+json")])
        #expect(custom.headers.count == 1)
    }

    @Test("reason phrases name the statuses WeChat Pay uses")
    func reasonPhrases() {
        let expected = [
            200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            408: "Request Timeout", 411: "Length Required", 413: "Content Too Large", 429: "Too Many Requests",
            431: "Request Header Fields Too Large", 500: "Internal Server Error", 501: "Not Implemented",
            502: "Bad Gateway", 503: "Service Unavailable",
        ]
        for (status, phrase) in expected {
            #expect(HTTPServerResponse.reasonPhrase(for: status) == phrase)
        }
        #expect(HTTPServerResponse.reasonPhrase(for: 599) == "Server Error")
    }
}
