import Glibc

/// Why the test client gave up.
struct TestClientError: Error, CustomStringConvertible {
    let description: String
}

/// A response as the test client read it off the wire.
struct TestResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    /// The first header called `name`, compared case-insensitively.
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// How many times a header called `name` appears.
    func count(of name: String) -> Int {
        headers.filter { $0.name.lowercased() == name.lowercased() }.count
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// How a read from the test client's socket ended.
enum ReadOutcome: Equatable {
    case bytes([UInt8])
    case closed
    case reset
    case timedOut
    case failed(Int32)
}

/// A deliberately plain HTTP client over a blocking socket: it writes exactly the bytes a test gives it and
/// reports exactly what came back, resets and silence included, which URLSession would hide or retry.
final class TestClient {
    let descriptor: Int32
    /// Bytes read but not yet returned: the start of a pipelined response.
    private var buffered: [UInt8] = []

    init(port: UInt16) throws {
        descriptor = try Self.connectedSocket(port: port)
    }

    /// Opens and connects a socket before `init` stores it: a throwing initializer of a fully initialized
    /// class still runs `deinit`, and closing the number twice could close another test's socket.
    private static func connectedSocket(port: UInt16) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestClientError(description: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            _ = close(descriptor)
            throw TestClientError(description: "connect to 127.0.0.1:\(port): \(reason)")
        }
        return descriptor
    }

    deinit {
        _ = close(descriptor)
    }

    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard count > 0 else { throw TestClientError(description: "send: \(String(cString: strerror(errno)))") }
            sent += count
        }
    }

    /// One read, waiting at most `timeout`; buffered bytes come first.
    func read(timeout: Duration) -> ReadOutcome {
        if !buffered.isEmpty {
            defer { buffered = [] }
            return .bytes(buffered)
        }
        var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout / .milliseconds(1))
        guard poll(&request, 1, milliseconds) > 0 else { return .timedOut }
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = recv(descriptor, &chunk, chunk.count, 0)
        if count > 0 { return .bytes(Array(chunk[..<count])) }
        if count == 0 { return .closed }
        return errno == ECONNRESET ? .reset : .failed(errno)
    }

    /// Reads until the server closes or resets the connection, or `timeout` passes with nothing new.
    func readToEnd(timeout: Duration = .seconds(5)) -> (bytes: [UInt8], ending: ReadOutcome, reads: Int) {
        var bytes: [UInt8] = []
        var reads = 0
        while true {
            switch read(timeout: timeout) {
            case .bytes(let chunk):
                bytes += chunk
                reads += 1
            case let ending:
                return (bytes, ending, reads)
            }
        }
    }

    /// Reads one response framed by its Content-Length (0 when absent); leaves what follows for the next call.
    /// `hasBody: false` for the answer to HEAD, which announces a length but sends nothing.
    func readResponse(timeout: Duration = .seconds(5), hasBody: Bool = true) throws -> TestResponse {
        var bytes = buffered
        buffered = []
        var headEnd = Self.endOfHead(in: bytes)
        while headEnd == nil {
            bytes += try readMore(timeout: timeout, after: bytes)
            headEnd = Self.endOfHead(in: bytes)
        }
        let head = String(decoding: bytes[..<headEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
            throw TestClientError(description: "bad status line in \(head)")
        }
        let headers = lines.map { line in
            let colon = line.firstIndex(of: ":")!
            return (
                String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            )
        }
        var response = TestResponse(status: status, headers: headers, body: [])
        let length = hasBody ? Int(response.header("Content-Length") ?? "0")! : 0
        while bytes.count < headEnd! + length {
            bytes += try readMore(timeout: timeout, after: bytes)
        }
        response.body = Array(bytes[headEnd!..<(headEnd! + length)])
        buffered = Array(bytes[(headEnd! + length)...])
        return response
    }

    private func readMore(timeout: Duration, after bytes: [UInt8]) throws -> [UInt8] {
        switch read(timeout: timeout) {
        case .bytes(let chunk): return chunk
        case let other:
            throw TestClientError(description: "\(other) after \(String(decoding: bytes, as: UTF8.self))")
        }
    }

    private static func endOfHead(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index..<(index + 4)].elementsEqual([13, 10, 13, 10]) {
            return index + 4
        }
        return nil
    }
}
