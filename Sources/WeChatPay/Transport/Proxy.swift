import Foundation

/// An HTTP proxy reached with `CONNECT`: the tunnel carries the TLS session to the API host end to end.
package struct HTTPProxy: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The proxy's host name or address (without brackets).
    package var host: String
    /// The proxy's port.
    package var port: Int
    /// The user for `Proxy-Authorization: Basic`, already percent-decoded; nil without user info.
    package var username: String?
    /// The password, already percent-decoded; never logged.
    package var password: String?

    /// A proxy at `host:port`, with credentials when given.
    package init(host: String, port: Int, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
    }

    /// `http://user@host:port`: the password never appears.
    package var description: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return "http://" + (username.map { "\($0)@" } ?? "") + "\(bracketed):\(port)"
    }

    /// The `Proxy-Authorization` value, when there is user info.
    var authorization: String? {
        guard let username else { return nil }
        return "Basic " + Data("\(username):\(password ?? "")".utf8).base64EncodedString()
    }
}

/// Which requests go through which proxy: every request through `api.proxy_url` when it is set; otherwise
/// `HTTPS_PROXY` for https requests, except hosts `NO_PROXY` names.
package struct ProxyRoutes: Sendable, Equatable {
    /// The proxy for every request, from the configuration file.
    package var fixed: HTTPProxy?
    /// The proxy for https requests, from the environment; used only without ``fixed``.
    package var https: HTTPProxy?
    /// `NO_PROXY` entries, lowercased: `*`, a host, a domain suffix, an IP address or address block, optionally
    /// with `:port`.
    package var exceptions: [String]

    /// Routes from their parts.
    package init(fixed: HTTPProxy? = nil, https: HTTPProxy? = nil, exceptions: [String] = []) {
        self.fixed = fixed
        self.https = https
        self.exceptions = exceptions
    }

    /// No proxy at all.
    package static let direct = ProxyRoutes()

    /// Splits a `NO_PROXY` value: a comma list, blanks ignored.
    package static func exceptions(fromNoProxy value: String) -> [String] {
        value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
    }

    /// The proxy for a request to `host:port` over `scheme`, or nil to connect directly.
    package func proxy(scheme: String, host: String, port: Int) -> HTTPProxy? {
        if let fixed { return fixed }
        guard scheme == "https", let https else { return nil }
        return isExcepted(host: host.lowercased(), port: port) ? nil : https
    }

    /// True when a `NO_PROXY` entry covers `host:port`.
    ///
    /// An entry is `*`, a host name, a domain suffix (`.example.com`, `*.example.com` and `example.com` all cover
    /// example.com and every name under it), an IP address, or an address block (`10.0.0.0/8`, `fd00::/8`),
    /// each optionally with `:port` (IPv6 in brackets then: `[::1]:8443`). An address is matched only by an equal
    /// address or a block holding it, never by a name suffix.
    private func isExcepted(host: String, port: Int) -> Bool {
        let hostAddress = IPAddress(host)
        return exceptions.contains { text in
            guard let entry = NoProxyEntry(text) else { return false }
            if let entryPort = entry.port, entryPort != port { return false }
            switch entry.pattern {
            case .everything:
                return true
            case .address(let address):
                return hostAddress == address
            case .block(let network, let bits):
                return hostAddress.map { $0.isInside(network, prefixBits: bits) } ?? false
            case .domain(let domain):
                return hostAddress == nil && (host == domain || host.hasSuffix("." + domain))
            }
        }
    }

    /// One line for the start-up log: which proxy is used for what, passwords left out.
    package var summary: String {
        if let fixed { return "\(fixed) (api.proxy_url)" }
        guard let https else { return "none" }
        let except = exceptions.isEmpty ? "" : ", except NO_PROXY=\(exceptions.joined(separator: ","))"
        return "\(https) (HTTPS_PROXY\(except))"
    }
}

/// One `NO_PROXY` entry, parsed: what it covers and the port it is limited to.
private struct NoProxyEntry {
    enum Pattern {
        case everything
        case address(IPAddress)
        case block(IPAddress, prefixBits: Int)
        /// A name and every name under it, without a leading dot.
        case domain(String)
    }

    var pattern: Pattern
    var port: Int?

    /// Nil for an entry that names nothing usable (an empty name, a port that is not a number).
    init?(_ text: String) {
        var name = Substring(text)
        var port: Int?
        if name.hasPrefix("["), let close = name.firstIndex(of: "]") {
            let after = name[name.index(after: close)...]
            name = name[name.index(after: name.startIndex)..<close]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let number = Int(after.dropFirst()) else { return nil }
                port = number
            }
        } else if let colon = name.firstIndex(of: ":"), name.lastIndex(of: ":") == colon {
            // One colon: host:port. Several: an IPv6 address written without brackets, so without a port.
            guard let number = Int(name[name.index(after: colon)...]) else { return nil }
            port = number
            name = name[..<colon]
        }
        self.port = port
        if name == "*" {
            pattern = .everything
        } else if let slash = name.firstIndex(of: "/") {
            guard let network = IPAddress(String(name[..<slash])), let bits = Int(name[name.index(after: slash)...]),
                (0...network.bytes.count * 8).contains(bits)
            else { return nil }
            pattern = .block(network, prefixBits: bits)
        } else if let address = IPAddress(String(name)) {
            pattern = .address(address)
        } else {
            if name.hasPrefix("*.") { name = name.dropFirst() }
            let domain = name.hasPrefix(".") ? name.dropFirst() : name
            guard !domain.isEmpty else { return nil }
            pattern = .domain(String(domain))
        }
    }
}

/// An IPv4 or IPv6 address as its bytes (4 or 16), so that differently written forms of one address compare equal.
private struct IPAddress: Equatable {
    var bytes: [UInt8]

    /// Nil when `text` is not an address literal.
    init?(_ text: String) {
        var ipv4 = in_addr()
        var ipv6 = in6_addr()
        if inet_pton(AF_INET, text, &ipv4) == 1 {
            bytes = withUnsafeBytes(of: &ipv4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &ipv6) == 1 {
            bytes = withUnsafeBytes(of: &ipv6) { Array($0) }
        } else {
            return nil
        }
    }

    /// True when the first `prefixBits` bits equal those of `network`, of the same family.
    func isInside(_ network: IPAddress, prefixBits: Int) -> Bool {
        guard bytes.count == network.bytes.count else { return false }
        for index in 0..<bytes.count {
            let bits = min(max(prefixBits - index * 8, 0), 8)
            let mask: UInt8 = bits == 0 ? 0 : 0xFF << (8 - bits)
            if bytes[index] & mask != network.bytes[index] & mask { return false }
        }
        return true
    }
}
