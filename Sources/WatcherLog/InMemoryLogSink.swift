import WatcherSync

/// A sink that keeps records in memory, for tests; shipped in the module so every module's tests can use it.
///
///     let sink = InMemoryLogSink()
///     let logger = Logger(sink: sink, clock: { fixedDate })
///     …
///     #expect(sink.records(named: "merchant.paused").count == 1)
package final class InMemoryLogSink: LogSink {
    private let minimumLevel: LogLevel
    private let stored = Locked<[LogRecord]>([])

    /// A sink keeping records at `level` and above; everything by default.
    package init(level: LogLevel = .debug) {
        minimumLevel = level
    }

    /// Whether records at `level` are kept.
    package func isEnabled(_ level: LogLevel) -> Bool {
        level >= minimumLevel
    }

    /// Keeps `record` if its level is enabled.
    package func write(_ record: LogRecord) {
        guard isEnabled(record.level) else { return }
        stored.withLock { $0.append(record) }
    }

    /// Every record kept, oldest first.
    package var records: [LogRecord] {
        stored.withLock { $0 }
    }

    /// The records of one event, oldest first.
    package func records(named event: String) -> [LogRecord] {
        stored.withLock { records in records.filter { $0.event == event } }
    }

    /// The records as text-format lines, as they would appear in the log file.
    package var lines: [String] {
        records.map(LogLineFormatter.text)
    }

    /// Forgets every record.
    package func removeAll() {
        stored.withLock { $0.removeAll() }
    }
}
