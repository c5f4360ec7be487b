import Testing

@testable import LoopbackHTTPServer

@Suite("Wire format details")
struct WireFormatTests {
    @Test("Date is IMF-fixdate in GMT")
    func imfFixdate() {
        #expect(HTTPDate.format(secondsSinceEpoch: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(secondsSinceEpoch: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }

    @Test("lines may end in a bare LF, and the end of the head is found across reads")
    func bareLineFeeds() throws {
        var buffer = InputBuffer()
        let text = Array("GET /lf HTTP/1.1\nHost: x\n\nnext".utf8)
        var found: Int?
        // Feed one byte at a time through the same incremental search a connection uses.
        for byte in text where found == nil {
            buffer.append([byte])
            found = buffer.headLength()
        }
        #expect(found == 26)
        let head = try RequestHeadParser.parse(buffer.bytes[..<26])
        #expect(head.target == "/lf")
        #expect(head.headers == [HTTPServerHeader("Host", "x")])
    }

    @Test("a bare CR inside a line is refused")
    func bareCarriageReturn() {
        #expect(throws: RequestRejection.malformed("bare CR in the request head")) {
            try RequestHeadParser.parse(Array("GET / HTTP/1.1\r\nX: a\rB: c\r\n\r\n".utf8)[...])
        }
    }

    @Test("agreeing repeated Content-Length values are one length")
    func repeatedContentLength() throws {
        let head = try RequestHeadParser.parse(
            Array("POST / HTTP/1.1\r\nContent-Length: 3, 3\r\ncontent-length: 3\r\n\r\n".utf8)[...])
        #expect(head.contentLength == 3)
    }

    @Test("a handler's CR or LF cannot start a header of its own")
    func headerValuesStayOnOneLine() {
        let response = HTTPServerResponse(status: 200, headers: [HTTPServerHeader("X", "a\r\nInjected: yes")])
        let head = ResponseSerializer.serialize(response, keepAlive: true, minorVersion: 1, includeBody: true).head
        #expect(!String(decoding: head, as: UTF8.self).contains("\r\nInjected"))
    }
}
