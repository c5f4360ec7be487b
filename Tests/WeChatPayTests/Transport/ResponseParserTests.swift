import Testing
import WeChatPay

@Suite("HTTPResponseParser")
struct ResponseParserTests {
    /// Feeds `text` in one piece, or byte by byte, and returns the answer once complete.
    func parse(_ text: String, cap: Int = 1 << 20, byteByByte: Bool = false, endOfStream: Bool = false)
        throws(HTTPResponseParseError) -> ParsedResponse?
    {
        var parser = HTTPResponseParser(maxBodyBytes: cap)
        let bytes = Array(text.utf8)
        var answer: ParsedResponse?
        if byteByByte {
            for byte in bytes where answer == nil { answer = try parser.consume([byte]) }
        } else {
            answer = try parser.consume(bytes)
        }
        if answer == nil, endOfStream { answer = try parser.finish() }
        return answer
    }

    func failure(_ text: String, cap: Int = 1 << 20, endOfStream: Bool = false) -> HTTPResponseParseError? {
        do {
            _ = try parse(text, cap: cap, endOfStream: endOfStream)
            return nil
        } catch {
            return error
        }
    }

    @Test("a Content-Length body is read exactly, and the connection stays usable")
    func contentLength() throws {
        let answer = try #require(try parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nRequest-ID: abc\r\n\r\nhello"))
        #expect(answer.status == 200)
        #expect(answer.body == Array("hello".utf8))
        #expect(answer.headers.value(for: "request-id") == "abc")
        #expect(answer.keepAlive)
    }

    @Test("an incomplete body is not an answer yet")
    func incomplete() throws {
        #expect(try parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello") == nil)
    }

    @Test("a chunked body with extensions and trailers decodes the same fed whole or byte by byte")
    func chunked() throws {
        let text =
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n7\r\n, world\r\n0\r\n"
            + "Checksum: 1\r\n\r\n"
        for byteByByte in [false, true] {
            let answer = try #require(try parse(text, byteByByte: byteByByte))
            #expect(answer.body == Array("hello, world".utf8))
            #expect(answer.trailers == [HTTPHeader("Checksum", "1")])
            #expect(answer.headers.value(for: "Checksum") == nil)
            #expect(answer.keepAlive)
        }
    }

    @Test("the body cap holds while a chunked body arrives, not after it")
    func chunkedCap() {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n1234"
        #expect(failure(text, cap: 10) == .bodyTooLarge(limit: 10))
    }

    @Test("an announced Content-Length over the cap is refused before any body byte")
    func contentLengthCap() {
        #expect(failure("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", cap: 10) == .bodyTooLarge(limit: 10))
    }

    @Test("a body read until the close is capped too")
    func untilCloseCap() {
        #expect(failure("HTTP/1.1 200 OK\r\n\r\n12345678901", cap: 10) == .bodyTooLarge(limit: 10))
    }

    @Test("1xx interim answers are skipped")
    func interim() throws {
        let text = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n" + okAnswerText("ok")
        let answer = try #require(try parse(text))
        #expect(answer.status == 200)
        #expect(answer.headers.value(for: "Link") == nil)
        #expect(answer.body == Array("ok".utf8))
    }

    @Test("repeated headers are all kept in order; lookups ignore case")
    func repeatedHeaders() throws {
        let text = "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nContent-Length: 0\r\n\r\n"
        let answer = try #require(try parse(text))
        #expect(answer.headers.values(for: "SET-COOKIE") == ["a=1", "b=2"])
        #expect(answer.headers[0].name == "Set-Cookie")
    }

    @Test("a header value loses the spaces and tabs around it, keeps those inside, and may hold UTF-8")
    func valueWhiteSpace() throws {
        let text = "HTTP/1.1 200 OK\r\nX-A: \t one  two \t\r\nX-B:\r\nX-C: caf\u{E9} \r\nContent-Length: 0\r\n\r\n"
        let answer = try #require(try parse(text))
        #expect(answer.headers.value(for: "x-a") == "one  two")
        #expect(answer.headers.value(for: "X-B") == "")
        #expect(answer.headers.value(for: "X-C") == "caf\u{E9}")
        #expect(answer.headers.value(for: "X-") == nil)
        #expect(answer.headers.value(for: "X-A ") == nil)
    }

    @Test("a compressed body is refused by name; identity is fine")
    func compressed() throws {
        #expect(
            failure("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\nxx")
                == .compressedBody("gzip"))
        #expect(try parse("HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\nContent-Length: 0\r\n\r\n") != nil)
    }

    @Test("Connection: close, HTTP/1.0 and a body ended by the close make the connection unusable")
    func connectionClose() throws {
        #expect(try parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")?.keepAlive == false)
        #expect(try parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")?.keepAlive == false)
        let untilClose = try #require(try parse("HTTP/1.1 200 OK\r\n\r\nall of it", endOfStream: true))
        #expect(untilClose.body == Array("all of it".utf8))
        #expect(untilClose.keepAlive == false)
    }

    @Test("bytes after the answer make the connection unusable")
    func surplus() throws {
        #expect(try parse(okAnswerText("ok") + "HTTP/1.1")?.keepAlive == false)
    }

    @Test("204 and 304 have no body even with a Content-Length")
    func bodyless() throws {
        #expect(try parse("HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n")?.body == [])
    }

    @Test("a redirect is an answer like any other, not followed")
    func redirect() throws {
        let answer = try #require(
            try parse("HTTP/1.1 302 Found\r\nLocation: http://elsewhere/\r\nContent-Length: 0\r\n\r\n"))
        #expect(answer.status == 302)
        #expect(answer.headers.value(for: "Location") == "http://elsewhere/")
    }

    @Test(
        "malformed input gives a named failure",
        arguments: [
            ("ICY 200 OK\r\n\r\n", "status line"),
            ("HTTP/1.1 2x0 OK\r\n\r\n", "status line"),
            ("HTTP/2 200\r\n\r\n", "status line"),
            ("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "header line"),
            ("HTTP/1.1 200 OK\r\n folded: x\r\n\r\n", "header line"),
            ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "Content-Length"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", "longer than"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\n", "Transfer-Encoding"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "Transfer-Encoding"),
            ("HTTP/1.1 101 Switching Protocols\r\n\r\n", "101"),
        ])
    func malformed(text: String, named: String) throws {
        let error = try #require(failure(text))
        #expect(error.description.contains(named))
    }

    @Test(
        "Transfer-Encoding chunked overrides Content-Length: the body is decoded as chunked and the connection not reused"
    )
    func chunkedOverridesContentLength() throws {
        let text =
            "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        for byteByByte in [false, true] {
            let answer = try #require(try parse(text, byteByByte: byteByByte))
            #expect(answer.body == Array("hello".utf8))
            #expect(answer.keepAlive == false)
        }
        let chunkedOnly = try #require(
            try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"))
        #expect(chunkedOnly.keepAlive == true)
    }

    @Test("trailer lines count against the head's limit: a peer streaming them fails as a head too large")
    func trailerLimit() {
        var parser = HTTPResponseParser(maxBodyBytes: 100, maxHeaderBytes: 256)
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n"
        #expect(throws: HTTPResponseParseError.headerSectionTooLarge(limit: 256)) {
            _ = try parser.consume(Array(head.utf8))
            // Each line is short; only their sum crosses the limit.
            for index in 0..<100 { _ = try parser.consume(Array("X-Trailer-\(index): value\r\n".utf8)) }
        }
    }

    @Test("a folded header line continues the one before it, joined by one space")
    func obsoleteLineFolding() throws {
        let answer = try #require(
            try parse("HTTP/1.1 200 OK\r\nX-Long: first\r\n \t second \r\n\tthird\r\nContent-Length: 0\r\n\r\n"))
        #expect(answer.headers.values(for: "X-Long") == ["first second third"])
        #expect(answer.headers.values(for: "Content-Length") == ["0"])
    }

    @Test("leading zeros in a chunk size are legal however many; sixteen significant digits are not")
    func chunkSizeLeadingZeros() throws {
        let zeros = String(repeating: "0", count: 20)
        let answer = try #require(
            try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\(zeros)3\r\nabc\r\n\(zeros)\r\n\r\n"))
        #expect(answer.body == Array("abc".utf8))
        let error = try #require(
            failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n"))
        #expect(error.description.contains("chunk size"))
    }

    @Test("a refused line is quoted by its start only: a server cannot write 60 KiB into every log line")
    func refusedLinesAreShortened() throws {
        let long = String(repeating: "A", count: 60_000)
        for text in ["HTTP/1.1 200 OK\r\n\(long)\r\n\r\n", "ICY 200 \(long)\r\n\r\n"] {
            guard let error = failure(text) else {
                Issue.record("no failure for \(text.prefix(20))…")
                continue
            }
            #expect(error.description.count < 200, "\(error.description.prefix(300))")
            #expect(error.description.contains("(60"))
        }
    }

    @Test("head only (a proxy's CONNECT answer): complete at the end of the head whatever the status and body")
    func headOnly() throws {
        for text in [
            "HTTP/1.1 200 Connection established\r\n\r\n",
            "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 20\r\n\r\n<html>denied</html>\n",
            "HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n5\r\n",
        ] {
            var parser = HTTPResponseParser(maxBodyBytes: 0, headOnly: true)
            let answer = try #require(try parser.consume(Array(text.utf8)))
            #expect(answer.status == Int(text.split(separator: " ")[1]))
        }
    }

    @Test("an oversized head is refused at the limit")
    func headerLimit() {
        var parser = HTTPResponseParser(maxBodyBytes: 100, maxHeaderBytes: 64)
        #expect(throws: HTTPResponseParseError.headerSectionTooLarge(limit: 64)) {
            _ = try parser.consume(Array(("HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 100)).utf8))
        }
    }

    @Test("an end of stream inside the answer is a truncation; before any byte, no answer at all")
    func endOfStream() throws {
        #expect(try parse("", endOfStream: true) == nil)
        guard case .truncated = failure("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhe", endOfStream: true) else {
            Issue.record("not a truncation")
            return
        }
    }

    @Test("after a failure every later call reports the same failure")
    func sticky() {
        var parser = HTTPResponseParser(maxBodyBytes: 10)
        #expect(throws: HTTPResponseParseError.self) { _ = try parser.consume(Array("BAD\r\n".utf8)) }
        #expect(throws: HTTPResponseParseError.self) { _ = try parser.consume(Array("HTTP/1.1 200 OK\r\n".utf8)) }
        #expect(throws: HTTPResponseParseError.self) { _ = try parser.finish() }
    }

    private func okAnswerText(_ body: String) -> String {
        "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }
}
