import Foundation

/// The rules for `api.base_url` and `api.backup_base_url`: an origin the client appends API paths to.
enum URLRules {
    /// The URL without its trailing slash, or the rule it breaks.
    static func validated(_ value: String) -> Result<String, Problem> {
        let shown = JSONValue.quoted(value)
        guard let components = URLComponents(string: value), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            return .failure(
                Problem("\(shown) is not a URL with a scheme and a host, such as \"https://api.mch.weixin.qq.com\""))
        }
        if let problem = schemeProblem(scheme: scheme, host: host, shown: shown) { return .failure(problem) }
        if components.user != nil || components.password != nil {
            return .failure(
                Problem("\(shown) must not contain user info (\"user@\"); WeChat Pay requests are signed instead"))
        }
        if let port = components.port, !(1...65_535).contains(port) {
            return .failure(Problem("\(shown) has port \(port), outside 1 to 65535"))
        }
        if components.query != nil { return .failure(Problem("\(shown) must not have a query (\"?…\")")) }
        if components.fragment != nil { return .failure(Problem("\(shown) must not have a fragment (\"#…\")")) }
        if !["", "/"].contains(components.path) {
            return .failure(
                Problem(
                    "\(shown) must not have a path (found \(components.path.debugDescription)); API paths are added to it"
                )
            )
        }
        return .success(value.hasSuffix("/") ? String(value.dropLast()) : value)
    }

    private static func schemeProblem(scheme: String, host: String, shown: String) -> Problem? {
        switch scheme {
        case "https":
            return nil
        case "http":
            if isLoopback(host) { return nil }
            return Problem(
                "\(shown) uses http with a host that is not loopback; http is allowed only for 127.0.0.0/8, ::1 "
                    + "and localhost, use https"
            )
        default:
            return Problem(
                "\(shown) has the scheme \(scheme.debugDescription); expected https (or http to a loopback host)")
        }
    }

    /// `localhost`, an address in `127.0.0.0/8`, or `::1` (written `[::1]` in a URL).
    static func isLoopback(_ host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        var ipv4 = in_addr()
        if inet_pton(AF_INET, host, &ipv4) == 1 {
            return withUnsafeBytes(of: &ipv4) { $0[0] == 127 }
        }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var ipv6 = in6_addr()
        guard inet_pton(AF_INET6, bare, &ipv6) == 1 else { return false }
        return withUnsafeBytes(of: &ipv6) { bytes in bytes.dropLast().allSatisfy { $0 == 0 } && bytes.last == 1 }
    }
}
