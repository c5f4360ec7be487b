import Synchronization
import WatcherSync

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the process's log lines go: standard error or a file. The production sink.
///
/// Every record becomes one `write(2)` of the whole line and its newline, made while holding the lock, so lines
/// from concurrent tasks never interleave and a descriptor is never closed (and its number reused) mid-write.
/// The level lives in an atomic beside the lock, so `isEnabled(_:)` never waits behind a slow write.
package final class LogOutput: LogSink {
    /// Where lines are written.
    package enum Destination: Sendable, Equatable {
        /// File descriptor 2: under systemd, the journal.
        case standardError
        /// A file, appended to and reopened on request after rotation.
        case file(path: String)
    }

    private struct State {
        var destination: Destination
        var descriptor: Int32
        var format: LogFormat
        var writeFailures = 0
        /// The run of lines lost since the file last took one: how many, since when, and why.
        var dropped: DroppedLines?
    }

    /// Lines that could not be written to the log file, counted until it takes a line again.
    private struct DroppedLines {
        var count: Int
        var since: Date
        var code: Int32
        /// The file took the start of a line and then no more: the next line must begin on a line of its own.
        var endsMidLine: Bool
    }

    private let state: Locked<State>
    private let minimumLevel: Atomic<UInt8>
    private let notices: Destination

    /// Opens `destination`; throws if it is a file that cannot be opened for appending.
    ///
    /// - Parameter notices: where the first line of a run of lines the file would not take is reported (standard
    ///   error: under systemd, the journal); tests give a file.
    package init(
        destination: Destination, format: LogFormat = .text, level: LogLevel = .info,
        notices: Destination = .standardError
    ) throws(LogOutputError) {
        let descriptor = try Self.open(destination)
        state = Locked(State(destination: destination, descriptor: descriptor, format: format))
        minimumLevel = Atomic(level.atomicRank)
        self.notices = notices
    }

    deinit {
        state.withLock { LogFileDescriptor.close($0.descriptor) }
    }

    /// A file is opened O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC with mode 0640, so every line is one append and
    /// copytruncate cannot corrupt it.
    package var destination: Destination {
        state.withLock { $0.destination }
    }

    /// The format of new lines.
    package var format: LogFormat {
        state.withLock { $0.format }
    }

    /// The least important level written.
    package var level: LogLevel {
        LogLevel(atomicRank: minimumLevel.load(ordering: .relaxed))
    }

    /// Lines that could not be written (disk full, closed pipe); they are dropped, never retried later.
    package var writeFailures: Int {
        state.withLock { $0.writeFailures }
    }

    /// Whether records at `level` are written.
    package func isEnabled(_ level: LogLevel) -> Bool {
        level.atomicRank >= minimumLevel.load(ordering: .relaxed)
    }

    /// Each record is formatted and written with a single write(2) of the whole line + "\n" (retry on EINTR and
    /// partial writes); a write error is counted (`writeFailures`) and never crashes or blocks forever.
    ///
    /// A log file that stops taking lines (its disk full) would otherwise go silent without a word: the first lost
    /// line of a run is reported as `log.write_failed` on ``notices``, and once the file takes lines again a
    /// `log.lines_dropped` line in it says how many went missing, since when and why.
    package func write(_ record: LogRecord) {
        guard isEnabled(record.level) else { return }
        let line = LogLineFormatter.format(record, as: format) + "\n"
        state.withLock { state in
            if let dropped = state.dropped {
                let summary = Self.droppedSummary(dropped, destination: state.destination, at: record.timestamp)
                let text = (dropped.endsMidLine ? "\n" : "") + formatted(summary, state.format)
                let written = LogFileDescriptor.write(text, to: state.descriptor)
                guard written == text.utf8.count else {
                    state.writeFailures += 1
                    state.dropped?.count += 1
                    state.dropped?.endsMidLine = dropped.endsMidLine ? written != 1 : written > 0
                    return
                }
                state.dropped = nil
            }
            let written = LogFileDescriptor.write(line, to: state.descriptor)
            guard written < line.utf8.count else { return }
            let code = errno
            state.writeFailures += 1
            state.dropped = DroppedLines(count: 1, since: record.timestamp, code: code, endsMidLine: written > 0)
            if case .file(let path) = state.destination, state.destination != notices {
                let notice = LogRecord(
                    timestamp: record.timestamp, level: .error, event: "log.write_failed",
                    fields: [
                        LogField(key: "file", value: .string(path)),
                        LogField(key: "error", value: .string(Self.describe(code))),
                        LogField(key: "consequence", value: .string("lines are dropped until the file takes one")),
                    ])
                Self.report(formatted(notice, state.format), to: notices)
            }
        }

        func formatted(_ record: LogRecord, _ format: LogFormat) -> String {
            LogLineFormatter.format(record, as: format) + "\n"
        }
    }

    private static func droppedSummary(_ dropped: DroppedLines, destination: Destination, at: Date) -> LogRecord {
        var fields = [LogField(key: "dropped", value: .int(dropped.count))]
        if case .file(let path) = destination { fields.append(LogField(key: "file", value: .string(path))) }
        fields.append(LogField(key: "since", value: .string(Timestamp.rfc3339(dropped.since))))
        fields.append(LogField(key: "error", value: .string(describe(dropped.code))))
        return LogRecord(timestamp: at, level: .warning, event: "log.lines_dropped", fields: fields)
    }

    /// `No space left on device (errno 28)`.
    private static func describe(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }

    /// Writes one notice line to `destination`, opening a file only for it; a failure here has nowhere left to go.
    private static func report(_ line: String, to destination: Destination) {
        guard let descriptor = try? open(destination) else { return }
        _ = LogFileDescriptor.writeAll(line, to: descriptor)
        LogFileDescriptor.close(descriptor)
    }

    /// Reopen the file at the configured path (after logrotate moved it away: SIGHUP). On failure keep writing
    /// to the old descriptor and throw. Does nothing when writing to standard error.
    package func reopen() throws(LogOutputError) {
        let destination = self.destination
        guard case .file = destination else { return }
        let descriptor = try Self.open(destination)
        let retired = state.withLock { state -> Int32 in
            // A concurrent reconfigure may have moved elsewhere meanwhile; then the new descriptor is the stale one.
            guard state.destination == destination else { return descriptor }
            state.dropped?.endsMidLine = false  // a new file starts on a line of its own
            defer { state.descriptor = descriptor }
            return state.descriptor
        }
        LogFileDescriptor.close(retired)
    }

    /// Change level/format/destination at runtime (SIGHUP reread config). Opening a new destination that fails
    /// keeps the old one and throws, and then level and format are left unchanged too. An unchanged destination
    /// keeps its descriptor; call `reopen()` for rotation.
    package func reconfigure(destination: Destination, format: LogFormat, level: LogLevel) throws(LogOutputError) {
        let descriptor = destination == self.destination ? nil : try Self.open(destination)
        let retired = state.withLock { state -> Int32? in
            state.format = format
            guard let descriptor else { return nil }
            defer {
                state.destination = destination
                state.descriptor = descriptor
            }
            return state.descriptor
        }
        minimumLevel.store(level.atomicRank, ordering: .relaxed)
        if let retired { LogFileDescriptor.close(retired) }
    }

    private static func open(_ destination: Destination) throws(LogOutputError) -> Int32 {
        switch destination {
        case .standardError: LogFileDescriptor.standardError
        case .file(let path): try LogFileDescriptor.openForAppending(path)
        }
    }
}

extension LogLevel {
    /// The level as a small integer ordered like the levels, for an `Atomic`.
    fileprivate var atomicRank: UInt8 {
        switch self {
        case .debug: 0
        case .info: 1
        case .warning: 2
        case .error: 3
        }
    }

    fileprivate init(atomicRank: UInt8) {
        self = LogLevel.allCases.first { $0.atomicRank == atomicRank } ?? .error
    }
}
