import Glibc

/// An address the server may listen on: 127.0.0.0/8 or `::1`.
///
/// Anything else is refused, because the simulator answers unauthenticated requests with whatever a test
/// asks for and must never be reachable from another machine.
enum LoopbackAddress {
    case ipv4(in_addr)
    case ipv6

    /// Parses a literal address (`127.0.0.1`, `::1`, `[::1]`); names such as `localhost` are refused too, since
    /// what a name resolves to is up to `/etc/hosts`.
    init(host: String, port: UInt16) throws(HTTPServerError) {
        let literal = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var ipv4 = in_addr()
        var ipv6 = in6_addr()
        if inet_pton(AF_INET, literal, &ipv4) == 1, UInt32(bigEndian: ipv4.s_addr) >> 24 == 127 {
            self = .ipv4(ipv4)
        } else if inet_pton(AF_INET6, literal, &ipv6) == 1, Self.isIPv6Loopback(ipv6) {
            self = .ipv6
        } else {
            throw .refused(
                "refusing to listen on \(Self.display(host: host, port: port))",
                because: "not a loopback address; the simulator must only be reachable from this machine "
                    + "(use 127.0.0.1 or ::1)")
        }
    }

    /// `host:port` as it would appear in a URL, brackets around IPv6.
    static func display(host: String, port: UInt16) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    var family: Int32 {
        switch self {
        case .ipv4: AF_INET
        case .ipv6: AF_INET6
        }
    }

    /// Calls `body` with a `sockaddr` for this address and `port`, as `bind(2)` wants it.
    func withSocketAddress<Result>(
        port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result
    ) -> Result {
        switch self {
        case .ipv4(let address):
            var socketAddress = sockaddr_in()
            socketAddress.sin_family = sa_family_t(AF_INET)
            socketAddress.sin_port = port.bigEndian
            socketAddress.sin_addr = address
            return withUnsafePointer(to: &socketAddress) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .ipv6:
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = port.bigEndian
            socketAddress.sin6_addr = in6addr_loopback
            return withUnsafePointer(to: &socketAddress) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    private static func isIPv6Loopback(_ address: in6_addr) -> Bool {
        var address = address
        var loopback = in6addr_loopback
        return memcmp(&address, &loopback, MemoryLayout<in6_addr>.size) == 0
    }
}
