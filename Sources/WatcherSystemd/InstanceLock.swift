import Foundation
import WatcherLog
import WatcherSync

/// One watcher per database: two would double the request rate against the same budget.
///
/// The lock is taken on `<database>.lock` with an open-file-description lock (`F_OFD_SETLK`, Linux ≥ 3.15),
/// or `flock(2)` where the kernel lacks it. Both belong to the open file, not the process: the kernel releases
/// them however the process ends, `kill -9` included, so a crash never leaves a stale lock; and a second
/// acquisition conflicts even inside the same process. The file records the holder's pid and start time, so
/// the refusal can name the running instance.
///
/// ```swift
/// let lock = try InstanceLock.acquire(databasePath: "/var/lib/wechatpay-watcher/watcher.sqlite3")
/// defer { lock.release() }
/// ```
package final class InstanceLock: Sendable {
    /// The lock file, `<database>.lock`.
    package let path: String
    /// The database the lock stands for.
    package let databasePath: String
    /// The open lock file while held; nil once released.
    private let descriptor: Locked<Int32?>
    /// What this instance wrote into the lock file.
    private let record: [UInt8]

    /// `path` with its symbolic links and `.`/`..` resolved, as far as it exists (a database not created yet:
    /// its folder resolved); `path` itself when even the folder does not exist.
    static func resolved(_ path: String) -> String {
        if let real = realpath(path, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        let folder = (path as NSString).deletingLastPathComponent
        guard let real = realpath(folder.isEmpty ? "." : folder, nil) else { return path }
        defer { free(real) }
        return String(cString: real) + "/" + (path as NSString).lastPathComponent
    }

    /// Takes the lock for `databasePath`, or throws naming the instance that holds it.
    ///
    /// The lock file is created with mode 0660 (group-writable like the database beside it) and never followed
    /// through a symbolic link: the state folder is writable by the producers' group. `now` and `pid` are what
    /// the record says about this instance.
    package static func acquire(
        databasePath: String, now: Date = Date(), pid: pid_t = getpid()
    ) throws(InstanceLockError) -> InstanceLock {
        // Beside the file the path resolves to: a second configuration naming the database through a symbolic link
        // (or `..`) must meet the same lock.
        let path = resolved(databasePath) + ".lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o660)
        guard descriptor >= 0 else { throw .cannotOpen(lockPath: path, code: errno) }
        do throws(InstanceLockError) {
            try requireRegularFile(descriptor, path: path)
            switch lockExclusively(descriptor) {
            case .locked:
                break
            case .held:
                throw .alreadyRunning(databasePath: databasePath, lockPath: path, holder: readHolder(descriptor))
            case .failed(let code):
                throw .cannotLock(lockPath: path, code: code)
            }
        } catch {
            close(descriptor)
            throw error
        }
        // The mode given to open(2) passed through the umask. Fails harmlessly on a file another user created.
        _ = fchmod(descriptor, 0o660)
        let record = InstanceLockHolder(pid: pid, started: Timestamp.rfc3339(now)).record
        write(record, to: descriptor)
        return InstanceLock(path: path, databasePath: databasePath, descriptor: descriptor, record: record)
    }

    /// The instance recorded in the lock file of `databasePath`, whether or not it still runs; nil when there is
    /// no readable record.
    package static func recordedHolder(databasePath: String) -> InstanceLockHolder? {
        let descriptor = open(resolved(databasePath) + ".lock", O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        return readHolder(descriptor)
    }

    private init(path: String, databasePath: String, descriptor: Int32, record: [UInt8]) {
        self.path = path
        self.databasePath = databasePath
        self.descriptor = Locked(descriptor)
        self.record = record
    }

    /// What ``verify()`` found.
    package enum Check: Sendable, Equatable {
        /// The lock file is the one this instance locked.
        case intact
        /// Its name had gone or named another file, nobody held that: this instance locks the file by that name
        /// again. `was` says what happened to it.
        case restored(was: String)
        /// Its name names a file another process has locked (a second instance started after the file was
        /// deleted): two instances run on one database.
        case heldElsewhere(holder: InstanceLockHolder?)
        /// The file could not be checked or locked again.
        case failed(String)
        /// This object no longer holds a lock.
        case released
    }

    /// Checks that the lock file's name still names the file this instance locked, and takes the lock again by
    /// that name when it does not: a lock on a deleted file stops no second instance.
    package func verify() -> Check {
        descriptor.withLock { held -> Check in
            guard let current = held else { return .released }
            var locked = stat()
            var named = stat()
            guard fstat(current, &locked) == 0 else {
                return .failed("cannot stat the lock: \(systemErrorText(errno))")
            }
            let was: String
            if lstat(path, &named) != 0 {
                guard errno == ENOENT else { return .failed("cannot stat \(path): \(systemErrorText(errno))") }
                was = "deleted"
            } else if named.st_dev == locked.st_dev, named.st_ino == locked.st_ino {
                return .intact
            } else {
                was = "replaced by another file"
            }
            let replacement = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o660)
            guard replacement >= 0 else { return .failed("cannot open \(path): \(systemErrorText(errno))") }
            do throws(InstanceLockError) {
                try Self.requireRegularFile(replacement, path: path)
            } catch {
                close(replacement)
                return .failed(error.description)
            }
            switch Self.lockExclusively(replacement) {
            case .locked:
                _ = fchmod(replacement, 0o660)
                Self.write(record, to: replacement)
                close(current)
                held = replacement
                return .restored(was: was)
            case .held:
                defer { close(replacement) }
                return .heldElsewhere(holder: Self.readHolder(replacement))
            case .failed(let code):
                close(replacement)
                return .failed("cannot lock \(path): \(systemErrorText(code))")
            }
        }
    }

    /// Writes `record`, then cuts the file to its length: a reader never sees an empty file between the two, only
    /// a stale tail.
    private static func write(_ record: [UInt8], to descriptor: Int32) {
        _ = record.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        _ = ftruncate(descriptor, off_t(record.count))
    }

    /// Whether this object still holds the lock.
    package var isHeld: Bool {
        descriptor.withLock { $0 != nil }
    }

    /// Lets another instance take the lock. Idempotent; also done when the object goes away. The file stays:
    /// deleting it could let two processes lock two different files of the same name.
    package func release() {
        let open = descriptor.withLock { held -> Int32? in
            defer { held = nil }
            return held
        }
        if let open { close(open) }
    }

    deinit {
        release()
    }

    private enum Attempt {
        case locked
        case held
        case failed(Int32)
    }

    private static func lockExclusively(_ descriptor: Int32) -> Attempt {
        var request = flock()
        request.l_type = Int16(F_WRLCK)
        request.l_whence = Int16(SEEK_SET)
        // l_start = l_len = 0: the whole file; l_pid must be 0 for open-file-description locks.
        if fcntl(descriptor, openFileDescriptionSetLock, &request) == 0 { return .locked }
        let code = errno
        switch code {
        case EAGAIN, EACCES: return .held
        case EINVAL: break  // A kernel older than 3.15: no OFD locks.
        default: return .failed(code)
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return .locked }
        return errno == EWOULDBLOCK ? .held : .failed(errno)
    }

    private static func requireRegularFile(_ descriptor: Int32, path: String) throws(InstanceLockError) {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .cannotOpen(lockPath: path, code: errno) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw .notARegularFile(lockPath: path) }
    }

    private static func readHolder(_ descriptor: Int32) -> InstanceLockHolder? {
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return InstanceLockHolder(record: String(decoding: buffer.prefix(count), as: UTF8.self))
    }
}

/// The instance a lock file names: its pid and when it took the lock.
package struct InstanceLockHolder: Sendable, Equatable, CustomStringConvertible {
    /// The holder's process id.
    package let pid: pid_t
    /// When it took the lock, RFC 3339 UTC (`2026-11-23T05:24:02.898Z`).
    package let started: String

    /// A holder record.
    package init(pid: pid_t, started: String) {
        self.pid = pid
        self.started = started
    }

    /// Parses the lock file's `pid=…` and `started=…` lines; nil without a valid pid.
    init?(record: String) {
        var fields: [Substring: Substring] = [:]
        for line in record.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            fields[line[..<equals]] = line[line.index(after: equals)...]
        }
        guard let pidText = fields["pid"], let pid = pid_t(pidText), pid > 0 else { return nil }
        self.pid = pid
        // Only what a timestamp can contain, so a tampered file cannot put arbitrary text into an error message.
        self.started = String(
            (fields["started"] ?? "unknown").prefix(40).filter { $0.isASCII && ($0.isNumber || "-:.TZ".contains($0)) })
    }

    /// The file's content.
    var record: [UInt8] {
        Array("pid=\(pid)\nstarted=\(started)\n".utf8)
    }

    /// `pid 1234, started 2026-11-23T05:24:02.898Z`.
    package var description: String {
        started.isEmpty ? "pid \(pid)" : "pid \(pid), started \(started)"
    }
}

/// Why ``InstanceLock/acquire(databasePath:now:pid:)`` did not take the lock.
package enum InstanceLockError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another instance holds the lock; `holder` is what its lock file says, nil if unreadable.
    case alreadyRunning(databasePath: String, lockPath: String, holder: InstanceLockHolder?)
    /// The lock file could not be opened or created (`ELOOP`: it is a symbolic link).
    case cannotOpen(lockPath: String, code: Int32)
    /// Something other than a regular file has the lock file's name.
    case notARegularFile(lockPath: String)
    /// The lock call failed for a reason other than a conflict.
    case cannotLock(lockPath: String, code: Int32)

    /// A sentence for the log and the terminal.
    package var description: String {
        switch self {
        case .alreadyRunning(let databasePath, _, let holder):
            "another wechatpay-watcher (\(holder?.description ?? "pid unknown")) is already running on "
                + "\(databasePath); two daemons would double the request rate"
        case .notARegularFile(let lockPath):
            "cannot use the lock file \(lockPath): it is not a regular file"
        case .cannotOpen(let lockPath, let code):
            "cannot open the lock file \(lockPath): \(systemErrorText(code))"
        case .cannotLock(let lockPath, let code):
            "cannot lock \(lockPath): \(systemErrorText(code))"
        }
    }
}

/// `F_OFD_SETLK`: Glibc defines it only under `_GNU_SOURCE`, which Swift's import of the C library does not set.
/// The value is the same on every Linux architecture.
private let openFileDescriptionSetLock: Int32 = 37
