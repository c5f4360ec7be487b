/// Parses an HTTP/1.1 request head strictly enough that framing can never be misread.
enum RequestHeadParser {
    /// Parses `head`, which ends with its empty line, as found by `InputBuffer.headLength()`.
    static func parse(_ head: ArraySlice<UInt8>) throws(RequestRejection) -> RequestHead {
        let lines = try splitLines(head)
        guard let requestLine = lines.first else { throw .malformed("empty request line") }
        let (method, target, minorVersion) = try parseRequestLine(requestLine)
        var headers: [HTTPServerHeader] = []
        for line in lines.dropFirst() { headers.append(try parseField(line)) }
        if let codings = headers.firstValue(named: "Transfer-Encoding") {
            throw .transferEncodingNotImplemented(codings)
        }
        return RequestHead(
            method: method,
            target: target,
            minorVersion: minorVersion,
            headers: headers,
            contentLength: try contentLength(of: headers),
            expectsContinue: headers.containsToken("100-continue", inFieldNamed: "Expect")
        )
    }

    /// The lines before the empty line, each without its CRLF or LF.
    private static func splitLines(_ head: ArraySlice<UInt8>) throws(RequestRejection) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        for rawLine in head.split(separator: ASCII.lineFeed, omittingEmptySubsequences: false) {
            let line = rawLine.last == ASCII.carriageReturn ? rawLine.dropLast() : rawLine
            if line.isEmpty { break }
            // A bare CR is how request smuggling hides a second line from one parser and not another.
            guard !line.contains(ASCII.carriageReturn) else { throw .malformed("bare CR in the request head") }
            lines.append(line)
        }
        return lines
    }

    private static func parseRequestLine(
        _ line: ArraySlice<UInt8>
    ) throws(RequestRejection) -> (method: String, target: String, minorVersion: Int) {
        let parts = line.split(separator: ASCII.space, omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
            throw .malformed("request line is not \"METHOD target HTTP/1.1\": \(printable(line))")
        }
        guard parts[0].allSatisfy(ASCII.isTokenCharacter) else {
            throw .malformed("invalid method: \(printable(parts[0]))")
        }
        // Only visible ASCII: anything else must be percent-encoded, and the target is passed on byte for byte.
        guard parts[1].allSatisfy(ASCII.isVisible) else {
            throw .malformed("invalid request-target: \(printable(parts[1]))")
        }
        let minorVersion: Int
        switch Array(parts[2]) {
        case Array("HTTP/1.1".utf8): minorVersion = 1
        case Array("HTTP/1.0".utf8): minorVersion = 0
        case let other where isVersionSyntax(other):
            throw .versionNotSupported(String(decoding: other, as: UTF8.self))
        default: throw .malformed("invalid HTTP version: \(printable(parts[2]))")
        }
        return (String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self), minorVersion)
    }

    /// `HTTP/x.y`: a version this server could name in a 505, as opposed to garbage that earns a 400.
    private static func isVersionSyntax(_ bytes: [UInt8]) -> Bool {
        bytes.count == 8 && bytes.starts(with: "HTTP/".utf8) && ASCII.isDigit(bytes[5])
            && bytes[6] == UInt8(ascii: ".") && ASCII.isDigit(bytes[7])
    }

    private static func parseField(_ line: ArraySlice<UInt8>) throws(RequestRejection) -> HTTPServerHeader {
        guard let first = line.first, !ASCII.isWhitespace(first) else {
            throw .malformed("obsolete line folding in the header fields")
        }
        guard let colon = line.firstIndex(of: ASCII.colon) else {
            throw .malformed("header field without a colon: \(printable(line))")
        }
        let name = line[..<colon]
        // No whitespace between name and colon: a lenient parser here invites smuggling.
        guard !name.isEmpty, name.allSatisfy(ASCII.isTokenCharacter) else {
            throw .malformed("invalid header field name: \(printable(name))")
        }
        let value = ASCII.trimmingWhitespace(line[(colon + 1)...])
        guard value.allSatisfy({ $0 == ASCII.tab || $0 >= ASCII.space && $0 != 0x7F }) else {
            throw .malformed("control character in header field \(printable(name))")
        }
        return HTTPServerHeader(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    /// Several Content-Length values are only acceptable when they agree.
    private static func contentLength(of headers: [HTTPServerHeader]) throws(RequestRejection) -> Int {
        var length: Int?
        for header in headers where header.name.equalsIgnoringASCIICase("Content-Length") {
            for element in header.value.split(separator: ",", omittingEmptySubsequences: false) {
                let digits = Array(String(element).trimmingHTTPWhitespace().utf8)
                guard !digits.isEmpty, digits.allSatisfy(ASCII.isDigit) else {
                    throw .malformed("invalid Content-Length: \(header.value)")
                }
                // Eighteen digits still fit an Int; anything longer is far beyond the limit anyway.
                let value = digits.count > 18 ? Int.max : Int(String(decoding: digits, as: UTF8.self))!
                guard length == nil || length == value else {
                    throw .malformed("conflicting Content-Length values")
                }
                length = value
            }
        }
        let result = length ?? 0
        guard result <= RequestLimits.maximumBodyBytes else { throw .bodyTooLarge(result) }
        return result
    }

    /// Request bytes quoted in an error body: visible ASCII kept, the rest escaped, long input cut.
    private static func printable(_ bytes: ArraySlice<UInt8>) -> String {
        var text = ""
        for byte in bytes.prefix(80) {
            text += ASCII.isVisible(byte) || byte == ASCII.space ? String(UnicodeScalar(byte)) : "\\x" + hex(byte)
        }
        return bytes.count > 80 ? text + "..." : text
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
