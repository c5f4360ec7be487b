/// One header of an HTTP message, in the order it was sent or received.
package struct HTTPHeader: Sendable, Equatable {
    /// The header name as written on the wire (lookups are case-insensitive).
    package var name: String
    /// The header value, unmodified.
    package var value: String

    /// Creates a header.
    package init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// True when the header is called `name`, compared case-insensitively as HTTP field names are (they are
    /// ASCII tokens, so folding ASCII letters is the whole comparison).
    package func hasName(_ name: String) -> Bool {
        let own = self.name.utf8
        let other = name.utf8
        guard own.count == other.count else { return false }
        return zip(own, other).allSatisfy { $0 == $1 || (Self.isASCIILetter($0) && $0 | 0x20 == $1 | 0x20) }
    }

    private static func isASCIILetter(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
}

extension [HTTPHeader] {
    /// The first value of the header called `name`, compared case-insensitively.
    package func value(for name: String) -> String? {
        first { $0.hasName(name) }?.value
    }
}

/// An HTTP request as the transport sends it: the URL string is used verbatim so that the signed
/// canonical URL and the bytes on the wire are the same.
package struct HTTPRequest: Sendable, Equatable {
    /// `GET`, `POST`, …
    package var method: String
    /// The absolute URL, e.g. `https://api.mch.weixin.qq.com/v3/…?brand_id=120344`.
    package var url: String
    /// Request headers in order.
    package var headers: [HTTPHeader]
    /// The request body; empty for `GET`.
    package var body: [UInt8]

    /// Creates a request.
    package init(method: String, url: String, headers: [HTTPHeader], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// An HTTP response with its complete body.
package struct HTTPResponse: Sendable, Equatable {
    /// The status code.
    package var status: Int
    /// Response headers in order.
    package var headers: [HTTPHeader]
    /// The raw body bytes, exactly as received (signatures cover them byte for byte).
    package var body: [UInt8]

    /// Creates a response.
    package init(status: Int, headers: [HTTPHeader], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Why a request produced no complete response.
package enum TransportFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection could not be made or secured: refused, DNS, TLS, unreachable. Nothing was sent or answered.
    case connectFailed(String)
    /// The deadline passed. `responseStarted` tells whether any part of an answer had arrived; `during` what the
    /// exchange was doing then (`resolving api.mch.weixin.qq.com`, `the TLS handshake`), when known.
    case timedOut(responseStarted: Bool, during: String? = nil)
    /// The connection broke; `responseStarted` tells whether any part of an answer had arrived.
    case connectionLost(String, responseStarted: Bool)
    /// The answer is larger than the cap; reading stopped there.
    case bodyTooLarge(limit: Int)
    /// The server's certificate was refused, or the TLS handshake failed; no byte of the request was sent.
    case tls(reason: String)
    /// The proxy could not be reached, closed the connection while the tunnel was being set up, or answered that it
    /// could not reach the API host (`502`, `503`, `504`); nothing reached the API host.
    case proxy(reason: String)
    /// The proxy answered and refused the tunnel (a `407`, a `403`, another status that is not about the API host):
    /// the proxy's policy, not a host problem, and the backup host is reached through the same proxy.
    case proxyRefused(reason: String)
    /// A kept-alive connection taken from the pool turned out closed or reset by the server before any answer byte.
    /// `requestDelivered` tells whether the whole request had been written: if it had, the server may have read and
    /// counted it against the rate limit, so only a request that was not delivered may be signed again and sent at
    /// once; nothing below the caller re-sends bytes.
    case reusedConnectionClosed(String, requestDelivered: Bool)
    /// The answer broke the HTTP/1.1 message rules, or came compressed although no compression was offered.
    case malformedResponse(String)
    /// The request was cancelled by the caller.
    case cancelled
    /// Anything else the HTTP stack reported.
    case other(String)

    /// True for failures where the host never answered at all: the cases that justify moving a merchant's
    /// traffic to the backup host. A 4xx or a broken answer never is.
    package var isConnectionLevel: Bool {
        switch self {
        case .connectFailed, .tls, .proxy: true
        // The proxy said no; the backup host would get the same answer from it.
        case .proxyRefused: false
        case .timedOut(let started, _): !started
        case .connectionLost(_, let started): !started
        // The host answered on that connection before; only our kept-alive copy of it aged.
        case .reusedConnectionClosed: false
        case .bodyTooLarge, .malformedResponse, .cancelled, .other: false
        }
    }

    /// A short stable name for metrics and log fields.
    package var kind: String {
        switch self {
        case .connectFailed: "connect_failed"
        case .timedOut: "timeout"
        case .connectionLost: "connection_lost"
        case .bodyTooLarge: "body_too_large"
        case .tls: "tls"
        // The same kind as any proxy failure: the operator looks at the proxy either way.
        case .proxy, .proxyRefused: "proxy"
        case .reusedConnectionClosed: "reused_connection_closed"
        case .malformedResponse: "malformed_response"
        case .cancelled: "cancelled"
        case .other: "transport_error"
        }
    }

    /// A human-readable account, for logs and error messages.
    package var description: String {
        switch self {
        case .connectFailed(let reason): "cannot connect: \(reason)"
        case .timedOut(true, _): "timed out while reading the answer"
        case .timedOut(false, let during): "timed out before any answer" + (during.map { " (during \($0))" } ?? "")
        case .connectionLost(let reason, let started):
            started
                ? "connection lost while reading the answer: \(reason)" : "connection lost before any answer: \(reason)"
        case .bodyTooLarge(let limit): "answer larger than \(limit) bytes"
        case .tls(let reason): "TLS handshake refused: \(reason)"
        case .proxy(let reason): "proxy failure: \(reason)"
        case .proxyRefused(let reason): "proxy refused the tunnel: \(reason)"
        case .reusedConnectionClosed(let reason, _): "kept-alive connection closed before any answer: \(reason)"
        case .malformedResponse(let reason): "malformed answer: \(reason)"
        case .cancelled: "cancelled"
        case .other(let reason): reason
        }
    }

    /// The detail worth its own log field (`reason="certificate has expired"`), for failures that carry one.
    package var reason: String? {
        switch self {
        case .connectFailed(let reason), .tls(let reason), .proxy(let reason), .proxyRefused(let reason),
            .reusedConnectionClosed(let reason, _),
            .malformedResponse(let reason), .other(let reason):
            reason
        case .connectionLost(let reason, _): reason
        case .timedOut(let started, let during): started ? nil : during.map { "during \($0)" }
        case .bodyTooLarge, .cancelled: nil
        }
    }
}

/// The seam between the WeChat Pay client and the network. Production uses ``SocketTransport``;
/// tests use fakes that answer from memory.
package protocol HTTPTransport: Sendable {
    /// Sends `request` and returns the complete response, or throws a ``TransportFailure``.
    ///
    /// - Parameters:
    ///   - timeout: bounds the whole exchange, from the first connection attempt to the last body byte.
    ///   - maxBodyBytes: a larger answer is abandoned with ``TransportFailure/bodyTooLarge(limit:)``.
    func send(_ request: HTTPRequest, timeout: Duration, maxBodyBytes: Int) async throws(TransportFailure)
        -> HTTPResponse
}
