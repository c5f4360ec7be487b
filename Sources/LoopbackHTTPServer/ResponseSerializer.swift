/// A response as bytes: the head, and the body exactly as the client should receive it.
struct SerializedResponse {
    var head: [UInt8]
    var body: [UInt8]

    var bytes: [UInt8] { head + body }
}

/// Turns a handler's response into HTTP/1.1 bytes, adding the framing the server is responsible for.
enum ResponseSerializer {
    /// Serializes `response`.
    ///
    /// - Parameters:
    ///   - keepAlive: whether the connection stays open; when not, `Connection: close` tells the client.
    ///   - minorVersion: the request's HTTP/1.x version; an HTTP/1.0 client must be told the connection persists.
    ///   - includeBody: false for HEAD, whose response announces a length but carries no body.
    static func serialize(
        _ response: HTTPServerResponse,
        keepAlive: Bool,
        minorVersion: Int,
        includeBody: Bool,
        date: String = HTTPDate.now()
    ) -> SerializedResponse {
        let status = response.status
        var head = "HTTP/1.1 \(status) \(HTTPServerResponse.reasonPhrase(for: status))\r\n"
        for header in response.headers where !isFramingField(header.name) {
            head += "\(header.name): \(singleLine(header.value))\r\n"
        }
        // No Content-Length on 1xx and 204; everything else announces its length.
        let mayHaveLength = status >= 200 && status != 204
        let chunkBytes = mayHaveLength && minorVersion >= 1 ? response.framing.chunkBytes : nil
        if chunkBytes != nil {
            head += "Transfer-Encoding: chunked\r\n"
        } else if mayHaveLength {
            head += "Content-Length: \(response.body.count)\r\n"
        }
        if response.headers.firstValue(named: "Date") == nil { head += "Date: \(date)\r\n" }
        if response.headers.firstValue(named: "Connection") == nil {
            if !keepAlive {
                head += "Connection: close\r\n"
            } else if minorVersion == 0 {
                head += "Connection: keep-alive\r\n"
            }
        }
        head += "\r\n"
        let sendsBody = includeBody && mayHaveLength && status != 304
        guard sendsBody else { return SerializedResponse(head: Array(head.utf8), body: []) }
        let body = chunkBytes.map { chunked(response.body, chunkBytes: $0) } ?? response.body
        return SerializedResponse(head: Array(head.utf8), body: body)
    }

    /// Each chunk is its size in hex, CRLF, the bytes, CRLF; a zero-size chunk and CRLF end it.
    static func chunked(_ body: [UInt8], chunkBytes: Int) -> [UInt8] {
        var encoded: [UInt8] = []
        encoded.reserveCapacity(body.count + (body.count / chunkBytes + 1) * 8 + 5)
        for start in stride(from: 0, to: body.count, by: chunkBytes) {
            let chunk = body[start..<min(start + chunkBytes, body.count)]
            encoded += Array((String(chunk.count, radix: 16, uppercase: false) + "\r\n").utf8)
            encoded += chunk
            encoded += [ASCII.carriageReturn, ASCII.lineFeed]
        }
        encoded += Array("0\r\n\r\n".utf8)
        return encoded
    }

    /// Whether the handler asked for the connection to close after this response.
    static func asksToClose(_ response: HTTPServerResponse) -> Bool {
        response.headers.containsToken("close", inFieldNamed: "Connection")
    }

    /// The server frames every body itself; a handler's own framing fields would contradict it.
    private static func isFramingField(_ name: String) -> Bool {
        name.equalsIgnoringASCIICase("Content-Length") || name.equalsIgnoringASCIICase("Transfer-Encoding")
    }

    /// A CR or LF in a value would let a handler's data start a header or body of its own.
    private static func singleLine(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == ASCII.carriageReturn || $0 == ASCII.lineFeed }) else { return value }
        return String(value.map { $0 == "\r" || $0 == "\n" || $0 == "\r\n" ? " " : $0 })
    }
}

extension HTTPServerResponse.Framing {
    /// The chunk size, at least 1, or nil for `Content-Length`.
    var chunkBytes: Int? {
        switch self {
        case .contentLength: return nil
        case .chunked(let chunkBytes): return max(chunkBytes, 1)
        }
    }
}
