import Foundation

/// One watcher per database: two would double the request rate against the same budget.
///
/// The lock is an open-file-description lock (`F_OFD_SETLK`) on `<database>.lock`, held for the life of the
/// process and released by the kernel however the process ends (kill -9 included), so a crash never leaves a
/// stale lock behind. The file records the holder's pid and start time for the error message.
public final class InstanceLock: Sendable {
    /// The lock file.
    public let path: String
    private let descriptor: Int32

    /// What stopped the lock from being taken.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// A sentence naming the database and, when known, the running instance.
        public let description: String
    }

    /// Takes the lock for `databasePath`, or throws naming the instance that holds it.
    public static func acquire(databasePath: String) throws(Failure) -> InstanceLock {
        let path = databasePath + ".lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o660)
        guard descriptor >= 0 else {
            throw Failure(description: "cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        guard fcntl(descriptor, openFileDescriptionSetLock, &lock) == 0 else {
            let code = errno
            let holder = Self.holder(descriptor)
            close(descriptor)
            guard code == EAGAIN || code == EACCES else {
                throw Failure(description: "cannot lock \(path): \(String(cString: strerror(code)))")
            }
            throw Failure(
                description:
                    "another wechatpay-watcher (\(holder ?? "pid unknown")) is already running on \(databasePath); "
                    + "two daemons would double the request rate against the same budget")
        }
        let record = "pid \(getpid()), started \(ISO8601DateFormatter().string(from: Date()))\n"
        _ = ftruncate(descriptor, 0)
        _ = record.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        return InstanceLock(path: path, descriptor: descriptor)
    }

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    private static func holder(_ descriptor: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}

/// `F_OFD_SETLK` (Linux ≥ 3.15): Glibc defines it only under `_GNU_SOURCE`, which Swift's import does not set.
private let openFileDescriptionSetLock: Int32 = 37
