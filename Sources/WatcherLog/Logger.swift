#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A lightweight value carrying a sink and fields common to every record it writes (e.g. merchant=…).
///
/// Pass it down by value and narrow it with `with(_:)`:
///
///     let logger = root.with(["merchant": .string(mchid)])
///     logger.info("task.transition", ["task_id": .string(id), "from": "PENDING", "to": "SUCCESS"])
///
/// Fields are built lazily: for a level the sink does not keep, the field expression is never evaluated.
package struct Logger: Sendable {
    /// Where records go.
    package let sink: any LogSink
    /// Fields written first on every record, in order.
    package private(set) var fields: [LogField]
    private let clock: @Sendable () -> Date

    /// A logger writing to `sink`, prefixing every record with `fields`, stamping records with `clock()`.
    package init(sink: any LogSink, fields: [LogField] = [], clock: @escaping @Sendable () -> Date = Date.init) {
        self.sink = sink
        self.fields = fields
        self.clock = clock
    }

    /// A copy that writes `fields` after this logger's own fields on every record.
    package func with(_ fields: KeyValuePairs<String, LogValue>) -> Logger {
        with([LogField](fields))
    }

    /// A copy that writes `fields` after this logger's own fields on every record.
    package func with(_ fields: [LogField]) -> Logger {
        var copy = self
        copy.fields += fields
        return copy
    }

    /// Whether a record at `level` would be written; check before expensive work that only feeds a log line.
    package func isEnabled(_ level: LogLevel) -> Bool {
        sink.isEnabled(level)
    }

    /// Writes `event` at `level` with this logger's fields, then `fields`, unless the sink ignores `level`.
    package func log(
        _ level: LogLevel,
        _ event: String,
        _ fields: @autoclosure () -> KeyValuePairs<String, LogValue> = [:]
    ) {
        guard sink.isEnabled(level) else { return }
        write(level, event, [LogField](fields()))
    }

    /// Writes `event` at `level` with this logger's fields, then `fields`, unless the sink ignores `level`.
    package func log(_ level: LogLevel, _ event: String, fields: @autoclosure () -> [LogField]) {
        guard sink.isEnabled(level) else { return }
        write(level, event, fields())
    }

    /// Writes `event` at `.debug`.
    package func debug(_ event: String, _ fields: @autoclosure () -> KeyValuePairs<String, LogValue> = [:]) {
        log(.debug, event, fields())
    }

    /// Writes `event` at `.info`.
    package func info(_ event: String, _ fields: @autoclosure () -> KeyValuePairs<String, LogValue> = [:]) {
        log(.info, event, fields())
    }

    /// Writes `event` at `.warning`.
    package func warning(_ event: String, _ fields: @autoclosure () -> KeyValuePairs<String, LogValue> = [:]) {
        log(.warning, event, fields())
    }

    /// Writes `event` at `.error`.
    package func error(_ event: String, _ fields: @autoclosure () -> KeyValuePairs<String, LogValue> = [:]) {
        log(.error, event, fields())
    }

    /// A logger that writes nothing, for code paths and tests that do not care.
    package static let disabled = Logger(sink: DisabledLogSink())

    private func write(_ level: LogLevel, _ event: String, _ callFields: [LogField]) {
        sink.write(LogRecord(timestamp: clock(), level: level, event: event, fields: fields + callFields))
    }
}
