import Foundation
import Glibc

/// One address `getaddrinfo(3)` returned, ready for `connect(2)`.
struct ResolvedAddress: Sendable {
    var family: Int32
    var storage: sockaddr_storage
    var length: socklen_t

    /// `1.2.3.4` or `::1`, for error messages.
    var text: String {
        var copy = storage
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let converted = withUnsafePointer(to: &copy) { pointer -> Bool in
            pointer.withMemoryRebound(to: UInt8.self, capacity: MemoryLayout<sockaddr_storage>.size) { raw in
                if family == AF_INET6 {
                    return raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                        var bytes = address.pointee.sin6_addr
                        return inet_ntop(AF_INET6, &bytes, &buffer, socklen_t(buffer.count)) != nil
                    }
                }
                return raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var bytes = address.pointee.sin_addr
                    return inet_ntop(AF_INET, &bytes, &buffer, socklen_t(buffer.count)) != nil
                }
            }
        }
        guard converted else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Name resolution with `getaddrinfo(3)`, which blocks: it runs on the exchange's I/O thread, never on the
/// cooperative pool. The caller is answered at its deadline even if a lookup is slower (the thread finishes it
/// unobserved).
enum Resolver {
    /// The IPv6 and IPv4 addresses of `host` (an address literal resolves to itself), in the order the system
    /// prefers.
    static func resolve(host: String, port: Int) throws(TransportFailure) -> [ResolvedAddress] {
        try lookUp(host: host, port: port, flags: HostName.isIPLiteral(host) ? AI_NUMERICHOST : 0).get()
    }

    private static func lookUp(host: String, port: Int, flags: Int32 = 0) -> Result<
        [ResolvedAddress], TransportFailure
    > {
        var hints = addrinfo()
        hints.ai_flags = flags
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            let reason = status == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(status))
            return .failure(.connectFailed("cannot resolve \(host): \(reason)"))
        }
        defer { freeaddrinfo(list) }
        var addresses: [ResolvedAddress] = []
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            let info = current.pointee
            if let address = info.ai_addr, info.ai_family == AF_INET || info.ai_family == AF_INET6 {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { target in
                    target.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(info.ai_addrlen)))
                }
                addresses.append(ResolvedAddress(family: info.ai_family, storage: storage, length: info.ai_addrlen))
            }
            entry = info.ai_next
        }
        guard !addresses.isEmpty else { return .failure(.connectFailed("\(host) has no IPv4 or IPv6 address")) }
        return .success(addresses)
    }
}
