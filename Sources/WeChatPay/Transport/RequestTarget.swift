import Glibc

/// Host name rules the transport needs in more than one place.
enum HostName {
    /// True for an IPv4 or IPv6 address written as text (without brackets).
    static func isIPLiteral(_ host: String) -> Bool {
        var ipv4 = in_addr()
        var ipv6 = in6_addr()
        return inet_pton(AF_INET, host, &ipv4) == 1 || inet_pton(AF_INET6, host, &ipv6) == 1
    }
}

/// An absolute `http` or `https` URL split into what the connection and the request line need. The path and
/// query are kept byte for byte: they are what was signed.
struct RequestTarget: Sendable, Equatable {
    /// `http` or `https`.
    var scheme: String
    /// The host without brackets: `api.mch.weixin.qq.com`, `127.0.0.1`, `::1`.
    var host: String
    var port: Int
    /// The path and query, as sent on the request line: `/v3/…?brand_id=1`.
    var pathAndQuery: String

    var isTLS: Bool { scheme == "https" }

    /// `host:port` with brackets around an IPv6 address, as `CONNECT` and error messages write it.
    var authority: String { Self.authority(host: host, port: port) }

    /// `host:port`, brackets around an IPv6 address.
    static func authority(host: String, port: Int) -> String {
        (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
    }

    /// The `Host` header: the port only when it is not the scheme's default.
    var hostHeader: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return port == (isTLS ? 443 : 80) ? bracketed : "\(bracketed):\(port)"
    }

    /// Parses `scheme://host[:port]/path?query`; user info and fragments are refused.
    init(_ url: String) throws(TransportFailure) {
        let invalid = TransportFailure.other("not an http or https URL with a host: \(url)")
        guard let separator = url.range(of: "://") else { throw invalid }
        scheme = url[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { throw invalid }
        let rest = url[separator.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let remainder = rest[authorityEnd...]
        guard !authority.contains("@"), !remainder.contains("#") else { throw invalid }
        let hostPart: Substring
        let portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { throw invalid }
            portPart = after.isEmpty ? nil : after.dropFirst()
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        } else {
            hostPart = authority
            portPart = nil
        }
        guard !hostPart.isEmpty else { throw invalid }
        host = hostPart.lowercased()
        if let portPart {
            guard let port = Int(portPart), (1...65_535).contains(port) else { throw invalid }
            self.port = port
        } else {
            port = scheme == "https" ? 443 : 80
        }
        pathAndQuery = remainder.isEmpty ? "/" : (remainder.hasPrefix("?") ? "/" + remainder : String(remainder))
    }
}

/// The bytes of an HTTP/1.1 request.
enum RequestEncoder {
    /// Headers the transport writes itself; a caller's copy would contradict the framing.
    private static let ownedHeaders: Set<String> = [
        "host", "content-length", "transfer-encoding", "connection", "accept-encoding",
    ]

    /// The request line, `Host`, the caller's headers, `Content-Length` when there is a body, and the body.
    /// `Accept-Encoding` is never sent: answers must come uncompressed, exactly the bytes that were signed.
    static func encode(_ request: HTTPRequest, target: RequestTarget) throws(TransportFailure) -> [UInt8] {
        guard !request.method.isEmpty, request.method.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .other("invalid request method \(request.method.debugDescription)")
        }
        guard !target.pathAndQuery.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw .other("the URL path contains spaces or control characters: \(request.url)")
        }
        var head = "\(request.method) \(target.pathAndQuery) HTTP/1.1\r\nHost: \(target.hostHeader)\r\n"
        for header in request.headers where !ownedHeaders.contains(header.name.lowercased()) {
            // A CR or LF inside a value would let it start a header of its own.
            guard !header.name.isEmpty, !header.name.utf8.contains(where: { $0 <= 0x20 || $0 == UInt8(ascii: ":") }),
                !header.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 })
            else { throw .other("invalid request header \(header.name.debugDescription)") }
            head += "\(header.name): \(header.value)\r\n"
        }
        if !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method) {
            head += "Content-Length: \(request.body.count)\r\n"
        }
        head += "\r\n"
        return Array(head.utf8) + request.body
    }
}
