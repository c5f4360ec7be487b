#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One event the daemon reports: what happened, when, how important, and the facts that identify it.
package struct LogRecord: Sendable, Equatable {
    /// The wall-clock time of the event.
    package var timestamp: Date
    /// How important the event is.
    package var level: LogLevel
    /// A dotted name grep can find: `task.transition`, `merchant.paused`.
    package var event: String
    /// The facts of the event, in the order they are written.
    package var fields: [LogField]

    /// A record of `event` at `level`, stamped `timestamp`.
    package init(timestamp: Date, level: LogLevel, event: String, fields: [LogField] = []) {
        self.timestamp = timestamp
        self.level = level
        self.event = event
        self.fields = fields
    }

    /// The value of the first field named `key`, if any.
    package subscript(key: String) -> LogValue? {
        fields.first { $0.key == key }?.value
    }
}
