import COpenSSL
import Glibc
import WatcherCrypto
import WatcherPOSIX

/// The TLS layer of one connection, used only by that connection's thread.
///
/// The descriptor is non-blocking under TLS: a client that sends half a record must cost a bounded wait in
/// `poll(2)`, not a `recv(2)` inside OpenSSL that waits for the rest forever.
final class TLSSession {
    private let ssl: OpaquePointer

    /// Largest single read; a TLS record carries at most 16 KiB, so one read takes a whole record.
    private static let readSize = 64 * 1024

    /// Attaches a new session to `descriptor` and makes the descriptor non-blocking.
    init(context: TLSContext, descriptor: Int32) throws(TLSFailure) {
        guard let ssl = SSL_new(context.context) else { throw TLSFailure(OpenSSLErrorQueue.drain()) }
        self.ssl = ssl
        // SSL_set_fd's BIO does not own the descriptor: the connection closes it, after this session is gone.
        guard SSL_set_fd(ssl, descriptor) == 1,
            fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK) == 0
        else {
            throw TLSFailure(OpenSSLErrorQueue.drain())
        }
    }

    deinit {
        SSL_free(ssl)
    }

    private var descriptor: Int32 { SSL_get_fd(ssl) }

    /// Runs the server side of the handshake, at most `timeout`; throws why it failed, in OpenSSL's words where
    /// it has them ("tlsv1 alert unknown ca" when the client refused our certificate).
    func accept(timeout: Duration) throws(TLSFailure) {
        let deadline = ContinuousClock.now + timeout
        while true {
            ERR_clear_error()
            let result = SSL_accept(ssl)
            if result == 1 { return }
            let error = SSL_get_error(ssl, result)
            switch error {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                let events = error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT
                guard wait(for: events, until: deadline) else {
                    throw TLSFailure("the client did not finish the TLS handshake within \(timeout)")
                }
            case SSL_ERROR_SYSCALL where ERR_peek_error() == 0:
                throw TLSFailure("the client closed the connection during the TLS handshake")
            default:
                throw TLSFailure(OpenSSLErrorQueue.drain())
            }
        }
    }

    /// Whether OpenSSL already holds decrypted bytes, which `poll(2)` on the descriptor cannot see.
    var hasBufferedInput: Bool { SSL_pending(ssl) > 0 }

    /// Reads one record's worth into `bytes`. An incomplete record appends nothing and still counts as
    /// received: the caller waits for readability again, with its own timeout.
    func receive(appendingTo bytes: inout [UInt8]) -> ConnectedSocket.ReceiveResult {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.readSize) { buffer in
            ERR_clear_error()
            var count = 0
            let result = SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count)
            if result == 1 {
                bytes.append(contentsOf: buffer[..<count])
                return .received
            }
            switch SSL_get_error(ssl, result) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .received
            case SSL_ERROR_ZERO_RETURN: return .closedByPeer
            // A peer that closes without close_notify is still a peer that left.
            case SSL_ERROR_SYSCALL where ERR_peek_error() == 0: return .closedByPeer
            default:
                OpenSSLErrorQueue.clear()
                return .failed
            }
        }
    }

    /// Sends every byte; false once the peer is gone or the server shut the socket. Like a blocking `send(2)`
    /// it waits as long as the peer does not read: `stop()` ends that wait with `shutdown(2)`.
    func sendAll(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var sent = 0
            while sent < buffer.count {
                ERR_clear_error()
                var written = 0
                let result = SSL_write_ex(ssl, buffer.baseAddress! + sent, buffer.count - sent, &written)
                if result == 1 {
                    sent += written
                    continue
                }
                switch SSL_get_error(ssl, result) {
                case SSL_ERROR_WANT_WRITE: _ = wait(for: POLLOUT, until: nil)
                case SSL_ERROR_WANT_READ: _ = wait(for: POLLIN, until: nil)
                default:
                    OpenSSLErrorQueue.clear()
                    return false
                }
            }
            return true
        }
    }

    /// Sends close_notify once, without waiting for the peer's: the connection is ending anyway.
    func sendCloseNotify() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        OpenSSLErrorQueue.clear()
    }

    /// False when `deadline` passed first; a hang-up or error counts as ready, so the next OpenSSL call reports it.
    private func wait(for events: Int32, until deadline: ContinuousClock.Instant?) -> Bool {
        while true {
            var request = pollfd(fd: descriptor, events: Int16(events), revents: 0)
            let timeout = deadline.map { max($0 - ContinuousClock.now, .zero).pollMilliseconds } ?? -1
            let result = poll(&request, 1, timeout)
            if result > 0 { return true }
            if result < 0, errno != EINTR { return true }
            if let deadline, ContinuousClock.now >= deadline { return false }
        }
    }
}

/// Why a TLS handshake or session could not be set up, for the server's counters and a test's message.
struct TLSFailure: Error {
    let reason: String

    init(_ reason: String) {
        self.reason = reason
    }
}
