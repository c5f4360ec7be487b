import Foundation

/// `api.proxy_url` (and `HTTPS_PROXY`): an HTTP proxy the client tunnels through with `CONNECT`.
package struct ProxyURL: Sendable, Equatable {
    /// The URL as written, for writing the file back.
    package var text: String
    /// The proxy's host (without brackets for IPv6).
    package var host: String
    /// The proxy's port: as written, or 80 when the URL has none.
    package var port: Int
    /// The user, percent-decoded; nil without user info.
    package var username: String?
    /// The password, percent-decoded; never shown.
    package var password: String?

    /// Why a text is not a proxy URL, in words that never contain the password.
    package struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        /// The problem.
        package var description: String

        init(_ description: String) { self.description = description }
    }

    /// The form every message names.
    package static let expectedForm = "http://[user:password@]host[:port]"

    /// The port of a proxy URL that names none: the port of http.
    package static let defaultPort = 80

    /// The URL with its password replaced, as it may appear in logs and messages.
    package var redacted: String { Self.redact(text) }

    /// Parses `http://[user:password@]host[:port]` (port 80 when none is written); the failure says what is wrong, without the password.
    package static func parse(_ text: String) -> Result<ProxyURL, Invalid> {
        let shown = JSONValue.quoted(redact(text))
        let wrongForm = Invalid("\(shown) is not a proxy URL; expected \(expectedForm)")
        guard text.lowercased().hasPrefix("http://") else {
            if text.lowercased().hasPrefix("https://") {
                return .failure(
                    Invalid(
                        "\(shown) uses https; the proxy is reached with plain http (expected \(expectedForm)), "
                            + "the tunnel through it carries TLS to WeChat Pay"))
            }
            return .failure(wrongForm)
        }
        var rest = Substring(text.dropFirst("http://".count))
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.contains("/"), !rest.contains("?"), !rest.contains("#") else {
            return .failure(Invalid("\(shown) must not have a path or query; expected \(expectedForm)"))
        }
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let parts = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let user = parts[0].removingPercentEncoding, !user.isEmpty,
                let secret = (parts.count > 1 ? String(parts[1]) : "").removingPercentEncoding
            else {
                return .failure(
                    Invalid("\(shown) has user info that is not valid percent-encoding; expected \(expectedForm)"))
            }
            username = user
            password = parts.count > 1 ? secret : nil
        }
        let host: Substring
        let portText: Substring?
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { return .failure(wrongForm) }
            portText = after.hasPrefix(":") ? after.dropFirst() : nil
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
            portText = nil
        }
        guard !host.isEmpty, !host.contains(":") || rest.hasPrefix("[") else { return .failure(wrongForm) }
        let written: Int? = if let portText { Int(portText) } else { defaultPort }
        guard let port = written, (1...65_535).contains(port) else {
            return .failure(Invalid("\(shown) has no port from 1 to 65535; expected \(expectedForm)"))
        }
        return .success(
            ProxyURL(text: text, host: host.lowercased(), port: port, username: username, password: password))
    }

    /// `http://user:***@host:port` for `http://user:secret@host:port`; other text unchanged.
    static func redact(_ text: String) -> String {
        guard let scheme = text.range(of: "://"),
            let at = text[scheme.upperBound...].lastIndex(of: "@"),
            let colon = text[scheme.upperBound..<at].firstIndex(of: ":")
        else { return text }
        return String(text[..<text.index(after: colon)]) + "***" + String(text[at...])
    }
}
