import Glibc
import WatcherPOSIX

/// The system calls one connection makes, on a descriptor the connection's thread owns: blocking for plain
/// HTTP, non-blocking under TLS, where reads and writes go through the connection's `TLSSession`.
///
/// Waits go through `poll(2)` with a timeout, so an idle client cannot hold a thread forever; `stop()` wakes
/// every wait early with `shutdown(2)`.
struct ConnectedSocket {
    /// How a wait for input ended.
    enum Readiness {
        case readable
        case timedOut
        case failed
    }

    /// What one `recv(2)` produced.
    enum ReceiveResult {
        case received
        case closedByPeer
        case failed
    }

    let descriptor: Int32
    /// Set once the TLS handshake succeeded; nil for plain HTTP.
    var tls: TLSSession? = nil

    /// Largest single read; a request head fits in one, a 1 MiB body takes sixteen.
    private static let readSize = 64 * 1024

    /// Waits until bytes (or an end of stream, or an error) can be read, at most `timeout`.
    func waitUntilReadable(timeout: Duration) -> Readiness {
        if let tls, tls.hasBufferedInput { return .readable }
        let deadline = ContinuousClock.now + timeout
        while true {
            var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let remaining = deadline - ContinuousClock.now
            let result = poll(&request, 1, max(remaining, .zero).pollMilliseconds)
            if result > 0 { return .readable }
            if result < 0, errno != EINTR { return .failed }
            if ContinuousClock.now >= deadline { return .timedOut }
        }
    }

    /// Appends what one `recv(2)` returns to `bytes`.
    func receive(appendingTo bytes: inout [UInt8]) -> ReceiveResult {
        if let tls { return tls.receive(appendingTo: &bytes) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.readSize) { buffer in
            while true {
                let count = recv(descriptor, buffer.baseAddress, buffer.count, 0)
                if count > 0 {
                    bytes.append(contentsOf: buffer[..<count])
                    return .received
                }
                if count == 0 { return .closedByPeer }
                if errno != EINTR { return .failed }
            }
        }
    }

    /// Sends every byte, retrying partial sends; false once the peer is gone or the server shut the socket.
    func sendAll(_ bytes: ArraySlice<UInt8>) -> Bool {
        if let tls { return tls.sendAll(bytes) }
        return bytes.withUnsafeBytes { buffer in
            var sent = 0
            while sent < buffer.count {
                // MSG_NOSIGNAL: a vanished client must cost an EPIPE here, not the whole process.
                let count = send(descriptor, buffer.baseAddress! + sent, buffer.count - sent, Int32(MSG_NOSIGNAL))
                if count >= 0 {
                    sent += count
                } else if errno != EINTR {
                    return false
                }
            }
            return true
        }
    }

    /// Small responses go out at once instead of waiting for Nagle's algorithm to batch them with nothing.
    func disableNagle() {
        var enable: Int32 = 1
        _ = setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &enable, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Makes the coming `close(2)` send RST instead of FIN, so the client reads `ECONNRESET`.
    func armReset() {
        var linger = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
    }

    /// Waits, bounded, until the kernel has handed every queued byte to the peer: a reset discards whatever
    /// is still queued, and `.resetAfterHeaders` promises the client the head and half the body first.
    func waitUntilSent(timeout: Duration) {
        let deadline = ContinuousClock.now + timeout
        var queued: Int32 = 0
        while ioctl(descriptor, UInt(TIOCOUTQ), &queued) == 0, queued > 0, ContinuousClock.now < deadline {
            usleep(1_000)
        }
    }

    /// Sends FIN but keeps reading, so a response is not destroyed by a reset the client's unread bytes would cause.
    func shutdownWriting() {
        tls?.sendCloseNotify()
        _ = shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Reads and discards until the peer closes, the server stops, or `timeout` passes: HTTP's "lingering close",
    /// so that a client still sending a rejected body reads our answer instead of a reset.
    func drain(timeout: Duration) {
        let deadline = ContinuousClock.now + timeout
        var discarded: [UInt8] = []
        while waitUntilReadable(timeout: deadline - ContinuousClock.now) == .readable,
            receive(appendingTo: &discarded) == .received
        {
            discarded.removeAll(keepingCapacity: true)
        }
    }

    func close() {
        // No retry on EINTR: Linux releases the descriptor even then, and a retry could close a reused number.
        _ = Glibc.close(descriptor)
    }
}
