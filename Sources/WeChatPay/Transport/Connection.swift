import COpenSSL
import Glibc
import WatcherPOSIX

/// What one read from a connection produced.
enum ReadResult {
    case bytes(Int)
    case endOfStream
}

/// One TCP connection, plain or TLS, on a non-blocking socket; waits are `poll(2)` on the I/O thread running the
/// exchange, bounded by the request's deadline and woken early when the caller abandons the exchange.
///
/// A peer that stops answering costs its own request the rest of its time and nothing else.
final class Connection: @unchecked Sendable {
    // @unchecked: a connection has exactly one owner at a time, the pool (under its lock, while idle) or the one
    // exchange that took it out; the descriptor and the SSL object are never touched by two threads at once.

    /// The pool this connection returns to.
    let key: PoolKey
    let descriptor: Int32
    private var ssl: OpaquePointer?
    /// True once the connection has carried an exchange and gone back to the pool.
    var isReused = false
    /// When the connection last finished an exchange, on the monotonic clock.
    var idleSince = ContinuousClock.now
    private var closed = false
    /// The exchange using the connection now; nil while it is idle in the pool.
    private var control: ExchangeControl?

    init(key: PoolKey, descriptor: Int32) {
        self.key = key
        self.descriptor = descriptor
    }

    /// Makes `control` able to wake this connection's waits (nil detaches it, before the pool keeps it).
    func attach(_ control: ExchangeControl?) {
        self.control?.track(nil)
        self.control = control
        control?.track(descriptor)
    }

    deinit {
        close()
    }

    /// Releases the socket and the TLS state; later calls do nothing.
    func close() {
        guard !closed else { return }
        closed = true
        attach(nil)
        if let ssl { SSL_free(ssl) }
        ssl = nil
        // No retry on EINTR: Linux releases the descriptor even then, and a retry could close a reused number.
        _ = Glibc.close(descriptor)
    }

    /// The least time one address gets before the next is tried, however many addresses share the deadline.
    static let minimumAddressSlice = Duration.milliseconds(250)

    /// Connects a non-blocking socket to the first address that accepts, within the deadline.
    ///
    /// Each address gets its own slice of the time left: an equal share among the addresses not yet tried, at least
    /// ``minimumAddressSlice``, never past the deadline. An address silent for its whole slice is recorded and the
    /// next one tried, so one address that drops connection attempts does not sink every request; the last address
    /// gets what is left. Only the overall deadline ends the attempt with a timeout, naming the addresses tried.
    static func open(
        key: PoolKey, addresses: [ResolvedAddress], hostDescription: String, control: ExchangeControl,
        until deadline: ContinuousClock.Instant
    ) throws(TransportFailure) -> Connection {
        var problems: [String] = []
        var tried: [String] = []
        let stage = control.stage ?? "connecting to \(hostDescription)"
        for (index, address) in addresses.enumerated() {
            let now = ContinuousClock.now
            let slice = attemptEnd(now: now, deadline: deadline, addressesLeft: addresses.count - index)
            tried.append(address.text)
            if addresses.count > 1 {
                // A timeout's account names every address tried, the one in progress last.
                control.stage = stage + " (addresses tried: \(tried.joined(separator: ", ")))"
            }
            let descriptor = socket(
                address.family,
                Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                    | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else {
                problems.append("socket: \(String(cString: strerror(errno)))")
                continue
            }
            let connection = Connection(key: key, descriptor: descriptor)
            connection.attach(control)
            let problem: String?
            do {
                problem = try connection.connect(to: address, until: slice)
            } catch {
                connection.close()
                // Cancellation, an abandoned exchange and the overall deadline end the attempt; a slice does not.
                guard case .timedOut = error, control.abandonment == nil, ContinuousClock.now < deadline else {
                    throw error
                }
                problems.append("\(address.text): no answer within \((slice - now).pollMilliseconds) ms")
                continue
            }
            if let problem {
                connection.close()
                problems.append("\(address.text): \(problem)")
                continue
            }
            var enable: Int32 = 1
            // Requests and answers are small: they leave at once instead of waiting for Nagle to batch them.
            _ = setsockopt(
                descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &enable, socklen_t(MemoryLayout<Int32>.size))
            return connection
        }
        throw .connectFailed("cannot connect to \(hostDescription): " + problems.joined(separator: "; "))
    }

    /// When the attempt on the next address ends: an equal share of the time left among the `addressesLeft`
    /// addresses, at least ``minimumAddressSlice``, never past the deadline.
    static func attemptEnd(now: ContinuousClock.Instant, deadline: ContinuousClock.Instant, addressesLeft: Int)
        -> ContinuousClock.Instant
    {
        min(deadline, now + max((deadline - now) / max(addressesLeft, 1), minimumAddressSlice))
    }

    /// Nil when connected; the reason otherwise. Throws only for the deadline and cancellation.
    private func connect(to address: ResolvedAddress, until deadline: ContinuousClock.Instant)
        throws(TransportFailure) -> String?
    {
        var storage = address.storage
        let status = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, address.length) }
        }
        if status == 0 { return nil }
        guard errno == EINPROGRESS || errno == EINTR else { return String(cString: strerror(errno)) }
        try wait(Int16(POLLOUT), until: deadline)
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else {
            return String(cString: strerror(errno))
        }
        return error == 0 ? nil : String(cString: strerror(error))
    }

    /// Waits for `events`; throws for the deadline and when the caller abandoned the exchange.
    private func wait(_ events: Int16, until deadline: ContinuousClock.Instant, responseStarted: Bool = false)
        throws(TransportFailure)
    {
        while true {
            if let abandonment = control?.abandonment { throw abandonment }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                throw control?.timeout ?? .timedOut(responseStarted: responseStarted)
            }
            var request = pollfd(fd: descriptor, events: events, revents: 0)
            let result = poll(&request, 1, remaining.pollMilliseconds)
            if result > 0 {
                // A wake-up by the caller's shutdown(2) looks like readiness; the abandonment says what it was.
                if let abandonment = control?.abandonment { throw abandonment }
                return
            }
            if result < 0, errno != EINTR { throw .other("poll failed: \(String(cString: strerror(errno)))") }
        }
    }

    /// Performs the TLS handshake and verifies the certificate chain and the host name before anything is sent.
    func startTLS(context: TLSContext, host: String, until deadline: ContinuousClock.Instant)
        throws(TLSHandshakeFailure)
    {
        guard let ssl = SSL_new(context.context) else {
            throw .handshake("cannot create a TLS session: \(TLSContext.errorQueueText())")
        }
        self.ssl = ssl
        guard SSL_set_fd(ssl, descriptor) == 1 else {
            throw .handshake("cannot attach the socket: \(TLSContext.errorQueueText())")
        }
        if HostName.isIPLiteral(host) {
            // No SNI for addresses (it carries host names only); the certificate must name the address instead.
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1 else {
                throw .handshake("cannot set the address \(host) to verify")
            }
        } else {
            guard watcher_SSL_set_tlsext_host_name(ssl, host) == 1, SSL_set1_host(ssl, host) == 1 else {
                throw .handshake("cannot set the host name \(host) to verify: \(TLSContext.errorQueueText())")
            }
            // The name must be among the certificate's subject alternative names: no fallback to its common name,
            // which browsers and public CAs gave up long ago.
            X509_VERIFY_PARAM_set_hostflags(SSL_get0_param(ssl), UInt32(X509_CHECK_FLAG_NEVER_CHECK_SUBJECT))
        }
        while true {
            ERR_clear_error()
            let result = SSL_connect(ssl)
            if result == 1 { return }
            let error = SSL_get_error(ssl, result)
            let events: Int16
            switch error {
            case SSL_ERROR_WANT_READ: events = Int16(POLLIN)
            case SSL_ERROR_WANT_WRITE: events = Int16(POLLOUT)
            default:
                let verification = SSL_get_verify_result(ssl)
                if verification != X509_V_OK {
                    throw .certificateRefused(TLSContext.verificationText(verification))
                }
                let detail =
                    error == SSL_ERROR_SYSCALL || error == SSL_ERROR_ZERO_RETURN
                    ? "the server closed the connection during the handshake" : TLSContext.errorQueueText()
                throw .handshake(detail)
            }
            do {
                try wait(events, until: deadline)
            } catch {
                throw .transport(error)
            }
        }
    }

    /// Reads what is available into `buffer`, waiting for it until the deadline.
    func read(
        into buffer: UnsafeMutableRawBufferPointer, until deadline: ContinuousClock.Instant, responseStarted: Bool
    )
        throws(TransportFailure) -> ReadResult
    {
        while true {
            let events: Int16
            if let ssl {
                ERR_clear_error()
                let count = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
                if count > 0 { return .bytes(Int(count)) }
                switch SSL_get_error(ssl, count) {
                case SSL_ERROR_WANT_READ: events = Int16(POLLIN)
                case SSL_ERROR_WANT_WRITE: events = Int16(POLLOUT)
                case SSL_ERROR_ZERO_RETURN: return .endOfStream
                case SSL_ERROR_SYSCALL where errno == 0: return .endOfStream
                case SSL_ERROR_SYSCALL where errno == ECONNRESET:
                    throw .connectionLost("connection reset by the server", responseStarted: responseStarted)
                default:
                    // OpenSSL 3 reports a close without close_notify as an SSL error; for us it is an end of stream.
                    let detail = TLSContext.errorQueueText()
                    if detail.contains("unexpected eof") { return .endOfStream }
                    throw .connectionLost("TLS read failed: \(detail)", responseStarted: responseStarted)
                }
            } else {
                let count = recv(descriptor, buffer.baseAddress, buffer.count, 0)
                if count > 0 { return .bytes(count) }
                if count == 0 { return .endOfStream }
                switch errno {
                case EAGAIN, EWOULDBLOCK, EINTR: events = Int16(POLLIN)
                // A reset, unlike a close, means the server dropped a request it may have read: not one to re-send.
                case ECONNRESET:
                    throw .connectionLost("connection reset by the server", responseStarted: responseStarted)
                default:
                    throw .connectionLost(String(cString: strerror(errno)), responseStarted: responseStarted)
                }
            }
            try wait(events, until: deadline, responseStarted: responseStarted)
        }
    }

    /// Writes every byte, waiting while the socket is full, until the deadline. False when the peer is gone.
    func write(_ bytes: [UInt8], until deadline: ContinuousClock.Instant) throws(TransportFailure) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let events: Int16
            let outcome: Int = bytes.withUnsafeBytes { buffer in
                let start = buffer.baseAddress! + sent
                let remaining = buffer.count - sent
                if let ssl {
                    ERR_clear_error()
                    let count = SSL_write(ssl, start, Int32(clamping: remaining))
                    if count > 0 { return Int(count) }
                    switch SSL_get_error(ssl, count) {
                    case SSL_ERROR_WANT_READ: return -Int(POLLIN)
                    case SSL_ERROR_WANT_WRITE: return -Int(POLLOUT)
                    default: return Int.min
                    }
                }
                // MSG_NOSIGNAL: a peer that closed costs an EPIPE here, not the process.
                let count = send(descriptor, start, remaining, Int32(MSG_NOSIGNAL))
                if count >= 0 { return count }
                return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -Int(POLLOUT) : Int.min
            }
            if outcome == Int.min { return false }
            if outcome >= 0 {
                sent += outcome
                continue
            }
            events = Int16(-outcome)
            try wait(events, until: deadline)
        }
        return true
    }

    /// True when an idle connection shows input (an early answer, or the server's close): it cannot carry a
    /// request any more.
    var hasPendingInputOrClosed: Bool {
        var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&request, 1, 0) != 0
    }
}

/// Why a TLS handshake did not complete.
enum TLSHandshakeFailure: Error {
    /// The certificate was refused: expired, for another host, from an untrusted issuer, …
    case certificateRefused(String)
    /// The handshake failed for another reason (protocol version, the peer closing).
    case handshake(String)
    /// The deadline passed or the task was cancelled.
    case transport(TransportFailure)
}
