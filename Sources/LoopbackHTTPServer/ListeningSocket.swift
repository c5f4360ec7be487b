import Glibc

/// Opens the listening socket: bound and listening before `HTTPServer.init` returns, so `port` is known.
enum ListeningSocket {
    /// Deep enough for an HTTP client pool that opens all its connections at once.
    static let backlog: Int32 = 512

    /// Creates, binds and listens; returns the descriptor and the port actually bound (the ephemeral one for 0).
    static func open(host: String, port: UInt16) throws(HTTPServerError) -> (descriptor: Int32, port: UInt16) {
        let address = try LoopbackAddress(host: host, port: port)
        let endpoint = LoopbackAddress.display(host: host, port: port)
        let descriptor = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw .system("cannot create a socket for \(endpoint)", errorNumber: errno) }
        do {
            // A restarted simulator must be able to take its port back while old connections sit in TIME_WAIT.
            var enable: Int32 = 1
            try check(
                setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &enable, socklen_t(MemoryLayout<Int32>.size)),
                "cannot set SO_REUSEADDR on \(endpoint)")
            try check(
                address.withSocketAddress(port: port) { bind(descriptor, $0, $1) }, "cannot bind \(endpoint)")
            try check(listen(descriptor, backlog), "cannot listen on \(endpoint)")
            return (descriptor, try boundPort(of: descriptor, endpoint))
        } catch {
            _ = close(descriptor)
            throw error
        }
    }

    private static func boundPort(of descriptor: Int32, _ endpoint: String) throws(HTTPServerError) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        try check(result, "cannot read the port bound for \(endpoint)")
        // sin_port and sin6_port sit at the same offset, right after the family.
        return withUnsafeBytes(of: storage) { bytes in
            UInt16(bigEndian: bytes.load(fromByteOffset: MemoryLayout<sa_family_t>.size, as: UInt16.self))
        }
    }

    private static func check(_ result: Int32, _ operation: String) throws(HTTPServerError) {
        guard result == 0 else { throw .system(operation, errorNumber: errno) }
    }
}
