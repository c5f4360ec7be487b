import Glibc
import WatcherLog
import WatcherSync

/// The production transport: HTTP/1.1 over POSIX sockets, TLS from OpenSSL's libssl, a keep-alive pool per host.
///
/// A request is written once: nothing here re-sends bytes. When a kept-alive connection turns out closed or reset
/// before any answer byte, the failure is ``TransportFailure/reusedConnectionClosed(_:requestDelivered:)`` and the caller
/// decides (the client signs again only a request that was not written whole). Name resolution, connection, tunnel, handshake, request and answer all share the one
/// deadline of `timeout`.
package final class SocketTransport: HTTPTransport {
    /// How the transport reaches the API.
    package struct Settings: Sendable {
        /// A PEM file of trust anchors used instead of the system store (`api.ca_file`).
        package var caFile: String?
        /// Which proxy, if any, each request goes through.
        package var proxies: ProxyRoutes
        /// How long a connection may stay idle before it is closed, never reused (`api.idle_connection_seconds`).
        package var idleConnectionTimeout: Duration

        /// Settings from their parts.
        package init(
            caFile: String? = nil, proxies: ProxyRoutes = .direct, idleConnectionTimeout: Duration = .seconds(5)
        ) {
            self.caFile = caFile
            self.proxies = proxies
            self.idleConnectionTimeout = idleConnectionTimeout
        }
    }

    /// Refused certificates in a row for one host before the alarm line: one may be a misconfiguration, several
    /// in a row may be someone intercepting the traffic.
    static let alarmThreshold = 3

    private let settings: Settings
    private let tls: TLSContext
    private let pool: ConnectionPool
    private let logger: Logger
    private let refusedInARow = Locked<[String: Int]>([:])
    private static let readSize = 16 * 1024

    /// Creates the transport; throws when `caFile` cannot be loaded.
    package init(settings: Settings, logger: Logger) throws(TLSSetupError) {
        // OpenSSL writes to its sockets with write(2): a peer that closed must cost an EPIPE, not the process.
        signal(SIGPIPE, SIG_IGN)
        self.settings = settings
        self.tls = try TLSContext(caFile: settings.caFile)
        self.pool = ConnectionPool(idleLimit: settings.idleConnectionTimeout)
        self.logger = logger
    }

    /// Sends the request; see ``HTTPTransport``.
    ///
    /// The exchange runs on an I/O thread; this task only waits for it. The caller is answered at the deadline or
    /// at its cancellation even while the thread is still inside a system call that cannot be interrupted (a slow
    /// `getaddrinfo`), and the thread then drops the connection.
    package func send(_ request: HTTPRequest, timeout: Duration, maxBodyBytes: Int) async throws(TransportFailure)
        -> HTTPResponse
    {
        let deadline = ContinuousClock.now + timeout
        if Task.isCancelled { throw .cancelled }
        let target = try RequestTarget(request.url)
        let bytes = try RequestEncoder.encode(request, target: target)
        let control = ExchangeControl()
        let answer = Locked<CheckedContinuation<Result<HTTPResponse, TransportFailure>, Never>?>(nil)
        let finish = { @Sendable (result: Result<HTTPResponse, TransportFailure>) in
            answer.withLock { $0.take() }?.resume(returning: result)
        }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                answer.withLock { $0 = continuation }
                let timer = Reactor.shared.register(descriptor: -1, events: 0, deadline: deadline) { _ in
                    let timeout = control.timeout
                    if control.abandon(because: timeout) { finish(.failure(timeout)) }
                }
                IOThreads.shared.run { [self] in
                    let result = Result { () throws(TransportFailure) in
                        try perform(bytes, to: target, maxBodyBytes: maxBodyBytes, control: control, until: deadline)
                    }
                    _ = Reactor.shared.cancel(timer)
                    finish(result)
                }
                if Task.isCancelled, control.abandon(because: .cancelled) { finish(.failure(.cancelled)) }
            }
        } onCancel: {
            if control.abandon(because: .cancelled) { finish(.failure(.cancelled)) }
        }
        return try result.get()
    }

    /// The whole exchange, on an I/O thread.
    private func perform(
        _ bytes: [UInt8], to target: RequestTarget, maxBodyBytes: Int, control: ExchangeControl,
        until deadline: ContinuousClock.Instant
    ) throws(TransportFailure) -> HTTPResponse {
        let proxy = settings.proxies.proxy(scheme: target.scheme, host: target.host, port: target.port)
        let key = PoolKey(scheme: target.scheme, host: target.host, port: target.port, proxy: proxy)
        let connection: Connection
        if let reused = pool.take(key) {
            connection = reused
            connection.attach(control)
        } else {
            control.stage = proxy.map { "connecting to the proxy \($0)" } ?? "resolving \(target.host)"
            connection = try open(key, target: target, proxy: proxy, control: control, until: deadline)
        }
        let parsed: ParsedResponse
        do {
            parsed = try exchange(bytes, on: connection, maxBodyBytes: maxBodyBytes, control: control, until: deadline)
        } catch {
            connection.close()
            if case .reusedConnectionClosed = error { pool.discard(key) }
            throw error
        }
        connection.attach(nil)
        if parsed.keepAlive, control.abandonment == nil {
            pool.put(connection)
        } else {
            connection.close()
        }
        return HTTPResponse(status: parsed.status, headers: parsed.headers, body: parsed.body)
    }

    /// Idle connections kept for `url`'s host (tests look).
    func idleConnections(to url: String) -> Int {
        guard let target = try? RequestTarget(url) else { return 0 }
        let proxy = settings.proxies.proxy(scheme: target.scheme, host: target.host, port: target.port)
        return pool.idleCount(PoolKey(scheme: target.scheme, host: target.host, port: target.port, proxy: proxy))
    }

    private func exchange(
        _ bytes: [UInt8], on connection: Connection, maxBodyBytes: Int, control: ExchangeControl,
        until deadline: ContinuousClock.Instant
    ) throws(TransportFailure) -> ParsedResponse {
        let closedEarly = { (what: String, delivered: Bool) -> TransportFailure in
            connection.isReused
                ? .reusedConnectionClosed(what, requestDelivered: delivered)
                : .connectionLost(what, responseStarted: false)
        }
        control.stage = "sending the request"
        guard try connection.write(bytes, until: deadline) else {
            throw closedEarly("the server closed the connection while the request was written", false)
        }
        control.stage = "waiting for the answer"
        var parser = HTTPResponseParser(maxBodyBytes: maxBodyBytes)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readSize, alignment: 1)
        defer { buffer.deallocate() }
        do {
            while true {
                switch try connection.read(into: buffer, until: deadline, responseStarted: parser.hasStarted) {
                case .bytes(let count):
                    control.responseStarted = true
                    if let response = try parser.consume(UnsafeRawBufferPointer(rebasing: buffer[..<count])) {
                        return response
                    }
                case .endOfStream:
                    if let response = try parser.finish() { return response }
                    throw closedEarly("the server closed the connection before answering", true)
                }
            }
        } catch let error as HTTPResponseParseError {
            switch error {
            case .bodyTooLarge: throw .bodyTooLarge(limit: maxBodyBytes)
            case .truncated: throw .connectionLost(error.description, responseStarted: true)
            default: throw .malformedResponse(error.description)
            }
        } catch let error as TransportFailure {
            // A kept-alive connection that dies before any answer byte, by a reset or another read failure as by
            // a close, is our aged copy of a connection, not a host problem; the whole request was written, so it
            // is not one to send again as it was.
            if connection.isReused, case .connectionLost(let reason, responseStarted: false) = error {
                throw .reusedConnectionClosed(reason, requestDelivered: true)
            }
            throw error
        } catch {
            throw .other("\(error)")
        }
    }

    /// A new connection to the target, tunnelled through the proxy when there is one, secured when https.
    private func open(
        _ key: PoolKey, target: RequestTarget, proxy: HTTPProxy?, control: ExchangeControl,
        until deadline: ContinuousClock.Instant
    ) throws(TransportFailure) -> Connection {
        let connection: Connection
        if let proxy {
            connection = try ProxyTunnel.open(to: target, via: proxy, key: key, control: control, until: deadline)
        } else {
            let addresses = try Resolver.resolve(host: target.host, port: target.port)
            control.stage = "connecting to \(target.authority)"
            connection = try Connection.open(
                key: key, addresses: addresses, hostDescription: target.authority, control: control,
                until: deadline)
        }
        guard target.isTLS else { return connection }
        control.stage = "the TLS handshake with \(target.authority)"
        do {
            try connection.startTLS(context: tls, host: target.host, until: deadline)
        } catch {
            connection.close()
            throw handshakeFailure(error, host: target.authority, viaProxy: proxy)
        }
        refusedInARow.withLock { $0[target.authority] = nil }
        return connection
    }

    private func handshakeFailure(_ failure: TLSHandshakeFailure, host: String, viaProxy proxy: HTTPProxy?)
        -> TransportFailure
    {
        switch failure {
        case .transport(let failure):
            return failure
        case .handshake(let detail):
            if let proxy {
                return .proxy(reason: "TLS handshake with \(host) through the tunnel of \(proxy) failed: \(detail)")
            }
            return .tls(reason: detail)
        case .certificateRefused(let reason):
            let count = refusedInARow.withLock { counts in
                counts[host, default: 0] += 1
                return counts[host]!
            }
            if count == Self.alarmThreshold {
                logger.error(
                    "tls.refused_repeatedly",
                    [
                        "host": .string(host), "failures": .int(count), "reason": .string(reason),
                        "hint": .string(
                            "several certificates in a row refused for one host: the traffic may be intercepted; "
                                + "check the proxy, the network and api.ca_file"),
                    ]
                )
            }
            return .tls(reason: reason)
        }
    }
}
