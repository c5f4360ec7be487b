import COpenSSL

/// A cryptographic or key-file operation that failed, with the reason OpenSSL or the system gave.
///
/// OpenSSL keeps its reasons in a per-thread error queue; an error built from it drains that queue, so a
/// later failure never reports a stale reason.
package struct CryptoError: Error, Sendable, CustomStringConvertible {
    /// What was being attempted, e.g. "signing with a 2048-bit RSA key" or "writing '/etc/watcher/key.pem'".
    package let operation: String
    /// Why it failed: OpenSSL's error queue as text, or the system's `strerror` text.
    package let reason: String

    /// Describes a failure whose reason is already known.
    package init(operation: String, reason: String) {
        self.operation = operation
        self.reason = reason
    }

    /// "operation failed: reason", one line for a log.
    package var description: String { "\(operation) failed: \(reason)" }

    /// A failure of an OpenSSL call: takes the reason from (and empties) this thread's OpenSSL error queue.
    static func openSSL(_ operation: String) -> CryptoError {
        CryptoError(operation: operation, reason: OpenSSLErrorQueue.drain())
    }
}
