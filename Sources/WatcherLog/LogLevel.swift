/// How important a log record is. Records below a sink's minimum level are not formatted at all.
package enum LogLevel: String, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// Detail for developers: every poll, every limiter decision.
    case debug
    /// Normal operation: transitions, start and stop, summaries.
    case info
    /// Something is wrong but the daemon copes: retries, throttling, failover.
    case warning
    /// Something needs a human: a merchant paused, a database that cannot be written.
    case error

    private var rank: Int {
        switch self {
        case .debug: 0
        case .info: 1
        case .warning: 2
        case .error: 3
        }
    }

    /// Less important: `.debug < .info < .warning < .error`.
    package static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rank < rhs.rank }

    /// The name written in log lines and accepted in configuration: `debug`, `info`, `warning`, `error`.
    package var description: String { rawValue }
}

/// How a log record is written: `key=value` text (the default) or one JSON object per line.
package enum LogFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    /// `2026-11-22T08:00:00.123Z info event key=value …`
    case text
    /// `{"ts":"2026-11-22T08:00:00.123Z","level":"info","event":"…","key":"value"}`
    case json

    /// The name accepted in configuration: `text` or `json`.
    package var description: String { rawValue }
}
