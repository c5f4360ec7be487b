/// Bytes read from a connection and not yet consumed; may hold several pipelined requests.
struct InputBuffer {
    private(set) var bytes: [UInt8] = []
    /// Where the search for the end of the head resumes, so a head arriving in small pieces is scanned once.
    private var searchedUpTo = 0

    var isEmpty: Bool { bytes.isEmpty }
    var count: Int { bytes.count }

    /// Reads once from `socket` into the buffer.
    mutating func receive(from socket: ConnectedSocket) -> ConnectedSocket.ReceiveResult {
        socket.receive(appendingTo: &bytes)
    }

    /// Adds bytes without a socket; tests feed a head through it one byte at a time.
    mutating func append(_ received: [UInt8]) {
        bytes.append(contentsOf: received)
    }

    /// A server should ignore empty lines before a request line; some clients send one after a body.
    mutating func dropLeadingLineBreaks() {
        let leading = bytes.prefix { $0 == ASCII.carriageReturn || $0 == ASCII.lineFeed }.count
        if leading > 0 { removeFirst(leading) }
    }

    /// The length of the head including its empty line, or nil while the empty line has not arrived.
    ///
    /// Lines may end in CRLF or a bare LF (a recipient may accept the latter).
    mutating func headLength() -> Int? {
        var index = searchedUpTo
        while index < bytes.count {
            if bytes[index] == ASCII.lineFeed {
                let next = index + 1
                if next == bytes.count { break }
                if bytes[next] == ASCII.lineFeed { return next + 1 }
                if bytes[next] == ASCII.carriageReturn {
                    if next + 1 == bytes.count { break }
                    if bytes[next + 1] == ASCII.lineFeed { return next + 2 }
                }
            }
            index += 1
        }
        // Resume at the line feed that may still begin the empty line, or where the bytes ended.
        searchedUpTo = index
        return nil
    }

    /// Removes and returns the first `count` bytes: one request, consumed.
    @discardableResult
    mutating func removeFirst(_ count: Int) -> [UInt8] {
        let taken = Array(bytes[..<count])
        bytes.removeFirst(count)
        searchedUpTo = 0
        return taken
    }
}
