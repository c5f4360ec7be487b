/// Where log records go: a file or standard error in production, memory in tests.
///
/// The seam between code that logs and the process's output. A sink decides which levels it keeps and how a
/// record becomes bytes; `Logger` only builds records.
package protocol LogSink: Sendable {
    /// Cheap check so callers skip building fields for disabled levels.
    func isEnabled(_ level: LogLevel) -> Bool

    /// Stores or writes one record. Must not throw or block indefinitely: logging never stops the daemon.
    func write(_ record: LogRecord)
}

/// The sink behind `Logger.disabled`.
struct DisabledLogSink: LogSink {
    func isEnabled(_ level: LogLevel) -> Bool { false }
    func write(_ record: LogRecord) {}
}
