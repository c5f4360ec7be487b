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
    /// `NO_PROXY` entries, lowercased: `*`, a host or domain suffix, optionally with `:port`.
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

    private func isExcepted(host: String, port: Int) -> Bool {
        exceptions.contains { entry in
            if entry == "*" { return true }
            var name = Substring(entry)
            if let colon = entry.lastIndex(of: ":"), !entry.hasSuffix("]"), entry.firstIndex(of: ":") == colon {
                guard Int(entry[entry.index(after: colon)...]) == port else { return false }
                name = entry[..<colon]
            }
            name = name.hasPrefix("[") && name.hasSuffix("]") ? name.dropFirst().dropLast() : name
            // ".example.com" and "example.com" both cover example.com and every name under it.
            let domain = name.hasPrefix(".") ? name.dropFirst() : name
            return host == domain || host.hasSuffix("." + domain)
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
