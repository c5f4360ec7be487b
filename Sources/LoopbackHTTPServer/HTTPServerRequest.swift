/// A request as the handler sees it: the method, the raw target, the headers in order and the whole body.
package struct HTTPServerRequest: Sendable {
    /// The method exactly as sent, e.g. `GET`; methods are case-sensitive.
    package var method: String
    /// The request-target exactly as received, e.g. `/v3/x/abc?brand_id=1&t=2`.
    ///
    /// It is never decoded or normalized: WeChat Pay signatures cover these bytes one for one.
    package var target: String
    /// The header fields in the order received, names spelled as the client spelled them.
    package var headers: [HTTPServerHeader]
    /// The body, framed by `Content-Length`; empty when there was none.
    package var body: [UInt8]
    /// When the request head had been fully read; lets a simulator measure how long a client waits.
    package var receivedAt: ContinuousClock.Instant

    /// Creates a request, mostly for handler tests that need no socket.
    package init(
        method: String,
        target: String,
        headers: [HTTPServerHeader] = [],
        body: [UInt8] = [],
        receivedAt: ContinuousClock.Instant = .now
    ) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.receivedAt = receivedAt
    }

    /// The target up to, not including, the first `?`; still percent-encoded.
    package var path: String {
        guard let mark = target.firstIndex(of: "?") else { return target }
        return String(target[..<mark])
    }

    /// The raw query after the first `?`, or nil when the target has none.
    package var query: String? {
        guard let mark = target.firstIndex(of: "?") else { return nil }
        return String(target[target.index(after: mark)...])
    }

    /// The value of the first header called `name`, compared case-insensitively.
    package func header(_ name: String) -> String? {
        headers.firstValue(named: name)
    }

    /// The body decoded as UTF-8, invalid bytes replaced; for JSON bodies and log lines.
    package var bodyText: String {
        String(decoding: body, as: UTF8.self)
    }
}
