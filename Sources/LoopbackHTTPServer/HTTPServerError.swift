import Glibc

/// Why the server could not start, worded for the log: what it tried, on which address, and what the system said.
///
/// `description` reads like "cannot bind 127.0.0.1:8080: Address already in use".
package struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    /// What the server was doing, with the address, e.g. "cannot bind 127.0.0.1:8080".
    package let operation: String
    /// What went wrong: `strerror` for a failed system call, or why the server refused the request.
    package let reason: String
    /// The `errno` of the failed system call; nil when the server refused on its own (a non-loopback host).
    package let systemErrorNumber: Int32?

    /// The operation and the reason in one line.
    package var description: String {
        "\(operation): \(reason)"
    }

    /// A failed system call; reads `strerror` now, before another call can change `errno`.
    static func system(_ operation: String, errorNumber: Int32) -> HTTPServerError {
        HTTPServerError(
            operation: operation, reason: String(cString: strerror(errorNumber)), systemErrorNumber: errorNumber)
    }

    /// A request the server refuses without asking the system.
    static func refused(_ operation: String, because reason: String) -> HTTPServerError {
        HTTPServerError(operation: operation, reason: reason, systemErrorNumber: nil)
    }
}
