import Synchronization
import WatcherSync

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
    }

    private let state: Locked<State>
    private let minimumLevel: Atomic<UInt8>

    /// Opens `destination`; throws if it is a file that cannot be opened for appending.
    package init(destination: Destination, format: LogFormat = .text, level: LogLevel = .info) throws(LogOutputError) {
        let descriptor = try Self.open(destination)
        state = Locked(State(destination: destination, descriptor: descriptor, format: format))
        minimumLevel = Atomic(level.atomicRank)
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
    package func write(_ record: LogRecord) {
        guard isEnabled(record.level) else { return }
        var line = LogLineFormatter.format(record, as: format)
        line += "\n"
        state.withLock { state in
            if !LogFileDescriptor.writeAll(line, to: state.descriptor) {
                state.writeFailures += 1
            }
        }
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
