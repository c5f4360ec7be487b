#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A log file that could not be opened: says which file and why, for the operator who has to fix it.
///
/// `description` reads `cannot open log file /var/log/x.log: Permission denied`.
package struct LogOutputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The path given to `open(2)`.
    package var path: String
    /// The `errno` `open(2)` failed with (`EACCES`, `ENOENT`, …).
    package var code: Int32

    /// The failure to open `path` with `errno` `code`.
    package init(path: String, code: Int32) {
        self.path = path
        self.code = code
    }

    /// The system's message for `code`: `Permission denied`, `No such file or directory`.
    package var reason: String {
        String(cString: strerror(code))
    }

    /// `cannot open log file <path>: <reason>`.
    package var description: String {
        "cannot open log file \(path): \(reason)"
    }
}
