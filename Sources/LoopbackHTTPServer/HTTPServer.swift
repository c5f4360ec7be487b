import Glibc

/// A small HTTP/1.1 server on a loopback address, for the WeChat Pay simulator and tests.
///
/// One accept thread and one thread per connection, blocking I/O, persistent and pipelined connections, plain
/// HTTP or TLS (1.2 or newer, on OpenSSL); request bodies framed by `Content-Length`, responses by
/// `Content-Length` or, when a response asks, chunked. The handler runs synchronously on the connection's thread and may ask for faults
/// (`HTTPServerResponse.Behaviour`) that exercise a client's error handling.
///
/// ```swift
/// let server = try HTTPServer { request in .json(200, #"{"path":"\(request.path)"}"#) }
/// server.start()
/// defer { server.stop() }
/// // http://127.0.0.1:\(server.port)/
/// ```
///
/// Dropping the last reference stops the server too, unless the handler itself holds the server.
package final class HTTPServer: Sendable {
    /// The address the server listens on, as given.
    package let host: String
    private let core: ServerCore

    /// Ignored process-wide, once: a write to a vanished client must fail with EPIPE, not kill the daemon.
    /// `send` also passes MSG_NOSIGNAL; this covers every other write the process makes.
    private static let ignoreBrokenPipes: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()

    /// Binds and listens at once, so `port` is known before `start()`.
    ///
    /// - Parameters:
    ///   - host: a loopback address literal (127.0.0.0/8 or ::1); anything else is refused.
    ///   - port: 0 for an ephemeral port.
    ///   - idleTimeout: how long a connection may sit without a request; WeChat Pay uses 8 s (`Keep-Alive: timeout=8`).
    ///     Under TLS it also bounds the handshake, so a client that never finishes one is dropped.
    ///   - tls: the certificate and key to serve HTTPS with; nil for plain HTTP.
    ///   - handler: answers each request, on the connection's own thread.
    /// - Throws: `HTTPServerError` naming the address and the system's reason, e.g.
    ///   "cannot bind 127.0.0.1:8080: Address already in use", or OpenSSL's reason for refusing the certificate.
    package init(
        host: String = "127.0.0.1",
        port: UInt16 = 0,
        idleTimeout: Duration = .seconds(8),
        tls: ServerTLSConfiguration? = nil,
        handler: @escaping @Sendable (HTTPServerRequest) -> HTTPServerResponse
    ) throws(HTTPServerError) {
        Self.ignoreBrokenPipes
        let context = try tls.map { configuration throws(HTTPServerError) in try TLSContext(configuration) }
        let (listener, boundPort) = try ListeningSocket.open(host: host, port: port)
        self.host = host
        self.core = ServerCore(
            listener: listener, port: boundPort, idleTimeout: idleTimeout, tls: context, handler: handler)
    }

    deinit {
        core.stop()
    }

    /// The port bound: the one asked for, or the ephemeral one the system chose.
    package var port: UInt16 { core.port }

    /// `http://host:port`, or `https://` under TLS, with IPv6 in brackets, for building request URLs.
    package var origin: String {
        "\(core.tls == nil ? "http" : "https")://\(LoopbackAddress.display(host: host, port: port))"
    }

    /// Starts the accept thread; until then connections wait in the backlog. Calls after the first do nothing.
    package func start() {
        core.start()
    }

    /// Stops accepting, shuts down every open connection, and waits (at most 5 s) for all threads to end.
    ///
    /// Idempotent. Do not call it from a handler: it would wait for the handler's own thread.
    package func stop() {
        core.stop()
    }

    /// Connections accepted since the server started.
    package var connectionsAccepted: Int { core.state.withLock { $0.connectionsAccepted } }

    /// Connections being served now; returns to 0 once clients close, which makes connection leaks visible.
    package var openConnections: Int { core.state.withLock { $0.openSockets.count } }

    /// Requests the handler has answered, counted before the response is sent.
    package var requestsHandled: Int { core.state.withLock { $0.requestsHandled } }

    /// TLS handshakes that succeeded; each is one connection that may carry many requests.
    package var handshakesCompleted: Int { core.state.withLock { $0.handshakesCompleted } }

    /// TLS handshakes that failed or never finished; none of those connections reached the handler.
    package var handshakesFailed: Int { core.state.withLock { $0.handshakesFailed } }

    /// OpenSSL's reason for the latest failed handshake, e.g. "tlsv1 alert unknown ca" when the client refused
    /// the certificate, or that the client did not finish in time.
    package var lastHandshakeFailure: String? { core.state.withLock { $0.lastHandshakeFailure } }
}
