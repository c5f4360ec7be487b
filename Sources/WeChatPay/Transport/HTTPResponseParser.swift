/// Why bytes from the server are not an HTTP/1.1 answer this client accepts.
package enum HTTPResponseParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The first line is not `HTTP/1.x NNN reason`.
    case malformedStatusLine(String)
    /// A header line is not `name: value`, or holds bytes a header may not.
    case malformedHeader(String)
    /// The status line and headers together exceed the limit.
    case headerSectionTooLarge(limit: Int)
    /// `Content-Length` is not one decimal number, or several disagree.
    case invalidContentLength(String)
    /// The chunked transfer coding is broken.
    case malformedChunk(String)
    /// A transfer coding other than `chunked` alone.
    case unsupportedTransferEncoding(String)
    /// A `Content-Encoding` other than `identity`, although no `Accept-Encoding` was sent.
    case compressedBody(String)
    /// The body exceeds the cap; reading stopped there.
    case bodyTooLarge(limit: Int)
    /// The connection ended before the answer was complete.
    case truncated(String)
    /// A status the client never asked for, such as `101 Switching Protocols`.
    case unexpectedStatus(Int)

    /// A human-readable account, for logs.
    package var description: String {
        switch self {
        case .malformedStatusLine(let line): "the status line \(line.debugDescription) is not \"HTTP/1.1 NNN reason\""
        case .malformedHeader(let line): "the header line \(line.debugDescription) is not \"name: value\""
        case .headerSectionTooLarge(let limit): "the status line and headers exceed \(limit) bytes"
        case .invalidContentLength(let value): "Content-Length \(value.debugDescription) is not one decimal length"
        case .malformedChunk(let detail): "broken chunked body: \(detail)"
        case .unsupportedTransferEncoding(let value):
            "Transfer-Encoding \(value.debugDescription) is not supported (only chunked, with no other coding)"
        case .compressedBody(let value):
            "the body came with Content-Encoding \(value.debugDescription) although no Accept-Encoding was sent"
        case .bodyTooLarge(let limit): "the body exceeds \(limit) bytes"
        case .truncated(let detail): "the connection ended before the answer was complete: \(detail)"
        case .unexpectedStatus(let status): "unexpected status \(status), which this client never asks for"
        }
    }
}

/// A complete answer as the parser read it.
package struct ParsedResponse: Sendable, Equatable {
    /// The final (non-1xx) status.
    package var status: Int
    /// The headers in order, repeated ones kept.
    package var headers: [HTTPHeader]
    /// Trailer fields of a chunked body, kept apart: nothing here may pass for a header the server signed.
    package var trailers: [HTTPHeader]
    /// The body bytes after transfer decoding.
    package var body: [UInt8]
    /// True when the connection may carry another request: HTTP/1.1 without `Connection: close`, a body with a
    /// known end, and no bytes after it.
    package var keepAlive: Bool
}

/// An incremental HTTP/1.1 response parser: feed it bytes as they arrive, it says when the answer is complete.
///
/// Pure (no I/O, no clock), so it is tested and fuzzed on its own. Public because the fuzz target reaches it
/// through the module's public interface. The body cap is enforced while bytes arrive, never after.
package struct HTTPResponseParser: Sendable {
    /// How far the current message has been read.
    private enum Stage: Sendable, Equatable {
        case statusLine
        case headers
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case complete
    }

    /// Default limit for the status line plus headers.
    package static let defaultHeaderLimit = 64 * 1024

    private let maxBodyBytes: Int
    private let maxHeaderBytes: Int
    private let headOnly: Bool
    private var buffer: [UInt8] = []
    private var position = 0
    private var stage = Stage.statusLine
    private var headerBytes = 0
    private var status = 0
    private var isHTTP10 = false
    private var headers: [HTTPHeader] = []
    private var trailers: [HTTPHeader] = []
    private var body: [UInt8] = []
    private var keepAlive = true
    private var failure: HTTPResponseParseError?

    /// True once any byte has arrived: a failure after that means the host did answer.
    package private(set) var hasStarted = false

    /// A parser for one answer.
    ///
    /// - Parameters:
    ///   - maxBodyBytes: a longer body fails with ``HTTPResponseParseError/bodyTooLarge(limit:)``.
    ///   - headOnly: stop after the head (a proxy's answer to `CONNECT`: a 2xx has no body, and of any other
    ///     answer only the status matters, as the connection is closed).
    package init(maxBodyBytes: Int, maxHeaderBytes: Int = defaultHeaderLimit, headOnly: Bool = false) {
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.headOnly = headOnly
    }

    /// Consumes `bytes`; returns the answer once it is complete, nil while more is needed.
    package mutating func consume(_ bytes: some Collection<UInt8>) throws(HTTPResponseParseError) -> ParsedResponse? {
        if let failure { throw failure }
        if stage == .complete {
            if !bytes.isEmpty { keepAlive = false }
            return result
        }
        if !bytes.isEmpty { hasStarted = true }
        buffer.append(contentsOf: bytes)
        do {
            try advance()
        } catch {
            failure = error
            throw error
        }
        return stage == .complete ? result : nil
    }

    /// The connection ended: the answer if its end was the end of the stream, nil if nothing at all arrived.
    package mutating func finish() throws(HTTPResponseParseError) -> ParsedResponse? {
        if let failure { throw failure }
        switch stage {
        case .complete:
            return result
        case .untilClose:
            stage = .complete
            keepAlive = false
            return result
        case .statusLine where !hasStarted:
            return nil
        case .statusLine, .headers:
            throw remember(.truncated("inside the status line or headers"))
        case .fixedBody(let remaining):
            throw remember(.truncated("\(remaining) body bytes still announced by Content-Length"))
        case .chunkSize, .chunkData, .chunkDataEnd, .trailers:
            throw remember(.truncated("inside the chunked body after \(body.count) bytes"))
        }
    }

    /// Bytes received after the end of the answer (they make the connection unusable).
    package var surplus: Int { stage == .complete ? buffer.count - position : 0 }

    private var result: ParsedResponse {
        ParsedResponse(
            status: status, headers: headers, trailers: trailers, body: body,
            keepAlive: keepAlive && buffer.count == position)
    }

    private mutating func remember(_ error: HTTPResponseParseError) -> HTTPResponseParseError {
        failure = error
        return error
    }

    private mutating func advance() throws(HTTPResponseParseError) {
        while stage != .complete {
            guard try step() else { break }
        }
        compact()
    }

    /// Makes one move; false when it needs more bytes.
    private mutating func step() throws(HTTPResponseParseError) -> Bool {
        switch stage {
        case .statusLine:
            guard let line = try headLine() else { return false }
            // A client may ignore empty lines before the status line.
            if !line.isEmpty { try readStatusLine(line) }
        case .headers:
            guard let line = try headLine() else { return false }
            if line.isEmpty {
                try endOfHead()
            } else if let first = line.first, Self.isOptionalWhiteSpace(first) {
                try unfold(line)
            } else {
                try headers.append(field(line))
            }
        case .fixedBody(let remaining):
            let count = min(remaining, buffer.count - position)
            guard count > 0 else { return false }
            try takeBody(count)
            stage = remaining == count ? .complete : .fixedBody(remaining: remaining - count)
        case .chunkSize:
            guard let line = try chunkLine() else { return false }
            let size = try chunkSize(line)
            stage = size == 0 ? .trailers : .chunkData(remaining: size)
        case .chunkData(let remaining):
            let count = min(remaining, buffer.count - position)
            guard count > 0 else { return false }
            try takeBody(count)
            stage = remaining == count ? .chunkDataEnd : .chunkData(remaining: remaining - count)
        case .chunkDataEnd:
            guard let line = try chunkLine() else { return false }
            guard line.isEmpty else { throw .malformedChunk("chunk data longer than its announced size") }
            stage = .chunkSize
        case .trailers:
            // Trailer lines count against the head's limit, so a peer streaming them cannot grow memory without end.
            guard let line = try headLine() else { return false }
            if line.isEmpty { stage = .complete } else { try trailers.append(field(line)) }
        case .untilClose:
            let count = buffer.count - position
            guard count > 0 else { return false }
            try takeBody(count)
        case .complete:
            return false
        }
        return true
    }

    private mutating func readStatusLine(_ line: ArraySlice<UInt8>) throws(HTTPResponseParseError) {
        let malformed = HTTPResponseParseError.malformedStatusLine(Self.excerpt(line))
        let bytes = line
        let start = line.startIndex
        // "HTTP/1.x NNN" then an optional " reason".
        guard bytes.count >= 12, bytes.starts(with: "HTTP/1.".utf8),
            bytes[start + 7] == UInt8(ascii: "0") || bytes[start + 7] == UInt8(ascii: "1"),
            bytes[start + 8] == UInt8(ascii: " "), bytes[(start + 9)...(start + 11)].allSatisfy(Self.isDigit),
            bytes.count == 12 || bytes[start + 12] == UInt8(ascii: " ")
        else { throw malformed }
        isHTTP10 = bytes[start + 7] == UInt8(ascii: "0")
        status = bytes[(start + 9)...(start + 11)].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard status >= 100 else { throw malformed }
        if status == 101 { throw .unexpectedStatus(status) }
        headers = []
        stage = .headers
    }

    private mutating func endOfHead() throws(HTTPResponseParseError) {
        // 1xx answers are interim: skip them and read the next status line.
        if (100..<200).contains(status) {
            headerBytes = 0
            stage = .statusLine
            return
        }
        let connection = headers.values(for: "Connection").flatMap(Self.tokens)
        keepAlive = isHTTP10 ? connection.contains("keep-alive") : !connection.contains("close")
        if headOnly {
            stage = .complete
            return
        }
        if let encoding = headers.values(for: "Content-Encoding").first(where: { !Self.isIdentity($0) }) {
            throw .compressedBody(encoding)
        }
        if status == 204 || status == 304 {
            stage = .complete
            return
        }
        stage = try bodyStage()
        if stage == .fixedBody(remaining: 0) { stage = .complete }
    }

    /// How the body's end is known.
    private mutating func bodyStage() throws(HTTPResponseParseError) -> Stage {
        let transferEncodings = headers.values(for: "Transfer-Encoding")
        let lengths = headers.values(for: "Content-Length")
        if !transferEncodings.isEmpty {
            let codings = transferEncodings.flatMap(Self.tokens)
            guard codings == ["chunked"] else {
                throw .unsupportedTransferEncoding(transferEncodings.joined(separator: ", "))
            }
            // Transfer-Encoding overrides Content-Length, which is ignored; a sender that wrote both is not trusted
            // with another answer on this connection.
            if !lengths.isEmpty { keepAlive = false }
            return .chunkSize
        }
        guard !lengths.isEmpty else { return .untilClose }
        let values = lengths.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .map { $0.trimmingOWS }
        guard let first = values.first, values.allSatisfy({ $0 == first }), !first.isEmpty, first.count <= 18,
            first.utf8.allSatisfy(Self.isDigit), let length = Int(first)
        else { throw .invalidContentLength(lengths.joined(separator: ", ")) }
        guard length <= maxBodyBytes else { throw .bodyTooLarge(limit: maxBodyBytes) }
        return .fixedBody(remaining: length)
    }

    private mutating func takeBody(_ count: Int) throws(HTTPResponseParseError) {
        guard body.count + count <= maxBodyBytes else { throw .bodyTooLarge(limit: maxBodyBytes) }
        body.append(contentsOf: buffer[position..<position + count])
        position += count
    }

    /// The next line of the head without its line ending, counted against the header limit.
    private mutating func headLine() throws(HTTPResponseParseError) -> ArraySlice<UInt8>? {
        let line = nextLine(limit: maxHeaderBytes - headerBytes)
        guard let line else {
            if buffer.count - position > maxHeaderBytes - headerBytes {
                throw .headerSectionTooLarge(limit: maxHeaderBytes)
            }
            return nil
        }
        headerBytes += line.consumed
        guard headerBytes <= maxHeaderBytes else { throw .headerSectionTooLarge(limit: maxHeaderBytes) }
        return line.text
    }

    /// A chunk-size line or the line ending a chunk's data; bounded so a server cannot grow it without end.
    private mutating func chunkLine() throws(HTTPResponseParseError) -> ArraySlice<UInt8>? {
        guard let line = nextLine(limit: maxHeaderBytes) else {
            if buffer.count - position > maxHeaderBytes { throw .malformedChunk("a chunk line longer than the limit") }
            return nil
        }
        return line.text
    }

    /// Lines end in CRLF; a bare LF is accepted, as a recipient may.
    private mutating func nextLine(limit: Int) -> (text: ArraySlice<UInt8>, consumed: Int)? {
        let end = min(buffer.count, position + max(limit, 0) + 1)
        guard let newline = buffer[position..<end].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        var textEnd = newline
        if textEnd > position, buffer[textEnd - 1] == UInt8(ascii: "\r") { textEnd -= 1 }
        let text = buffer[position..<textEnd]
        let consumed = newline + 1 - position
        position = newline + 1
        return (text, consumed)
    }

    private func field(_ line: ArraySlice<UInt8>) throws(HTTPResponseParseError) -> HTTPHeader {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
            line[line.startIndex..<colon].allSatisfy(Self.isTokenCharacter)
        else { throw .malformedHeader(Self.excerpt(line)) }
        // Trimmed as bytes: space and tab are never part of a multi-byte UTF-8 sequence.
        var start = colon + 1
        var end = line.endIndex
        while start < end, Self.isOptionalWhiteSpace(line[start]) { start += 1 }
        while end > start, Self.isOptionalWhiteSpace(line[end - 1]) { end -= 1 }
        let value = line[start..<end]
        guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) || $0 >= 0x80 }) else {
            throw .malformedHeader(Self.excerpt(line))
        }
        return HTTPHeader(
            String(decoding: line[line.startIndex..<colon], as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    /// A line starting with white space continues the previous field (obsolete line folding); a client reads the
    /// fold as one space.
    private mutating func unfold(_ line: ArraySlice<UInt8>) throws(HTTPResponseParseError) {
        guard let last = headers.indices.last else { throw .malformedHeader(Self.excerpt(line)) }
        let continued: HTTPHeader
        do {
            continued = try field(Array("x:".utf8)[...] + line)
        } catch {
            throw .malformedHeader(Self.excerpt(line))
        }
        headers[last].value += continued.value.isEmpty ? "" : " " + continued.value
    }

    private func chunkSize(_ line: ArraySlice<UInt8>) throws(HTTPResponseParseError) -> Int {
        // chunk-size [; extensions]: the extensions mean nothing to this client.
        let digits = line.prefix { $0 != UInt8(ascii: ";") }.drop { $0 == 0x20 || $0 == 0x09 }.reversed()
            .drop { $0 == 0x20 || $0 == 0x09 }.reversed()
        // Leading zeros are legal and say nothing about the size.
        let significant = Array(digits.drop { $0 == UInt8(ascii: "0") })
        guard !digits.isEmpty, significant.count <= 15, digits.allSatisfy(\.isHexDigit),
            let size = significant.isEmpty ? 0 : Int(String(decoding: significant, as: UTF8.self), radix: 16)
        else { throw .malformedChunk("chunk size \(Self.excerpt(line).debugDescription)") }
        guard body.count + size <= maxBodyBytes else { throw .bodyTooLarge(limit: maxBodyBytes) }
        return size
    }

    private mutating func compact() {
        guard position > 0, position >= buffer.count / 2 || position == buffer.count else { return }
        buffer.removeSubrange(..<position)
        position = 0
    }

    /// The start of a line the parser refuses, for its error: a server must not be able to write 64 KiB into
    /// every log line and row error.
    private static func excerpt(_ line: ArraySlice<UInt8>) -> String {
        let limit = 80
        guard line.count > limit else { return String(decoding: line, as: UTF8.self) }
        return String(decoding: line.prefix(limit), as: UTF8.self) + "… (\(line.count) bytes)"
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func isOptionalWhiteSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    private static func isIdentity(_ value: String) -> Bool {
        tokens(value).allSatisfy { $0 == "identity" }
    }

    /// A comma-separated header value as lowercase tokens.
    private static func tokens(_ value: String) -> [String] {
        value.split(separator: ",").map { $0.trimmingOWS.lowercased() }.filter { !$0.isEmpty }
    }

    /// HTTP's `tchar`: the characters of a token.
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), 0x30...0x39: true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default: false
        }
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self)
    }
}

extension Substring {
    /// Without the optional white space (space, tab) HTTP allows around values.
    fileprivate var trimmingOWS: String {
        let isWhiteSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        guard let first = utf8.firstIndex(where: { !isWhiteSpace($0) }) else { return "" }
        let last = utf8.lastIndex(where: { !isWhiteSpace($0) }) ?? first
        return String(decoding: utf8[first...last], as: UTF8.self)
    }
}

extension [HTTPHeader] {
    /// Every value of the header called `name`, compared case-insensitively, in order.
    package func values(for name: String) -> [String] {
        filter { $0.hasName(name) }.map(\.value)
    }
}
