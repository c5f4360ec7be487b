import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The few system calls small files (keys, certificates) need, with `errno` turned into text at the point of failure.
package enum POSIXFile {
    /// A failed call: which one, and `strerror(errno)` captured before anything else could change errno.
    package struct Failure: Error, CustomStringConvertible {
        /// The system call that failed, e.g. `open`.
        package let call: String
        /// The system's reason, e.g. "No such file or directory".
        package let message: String

        init(_ call: String) {
            self.call = call
            self.message = String(cString: strerror(errno))
        }

        /// `open: No such file or directory`.
        package var description: String { "\(call): \(message)" }
    }

    /// The whole file and its permission bits.
    package struct Contents {
        /// Every byte, up to one past ``readLimit``.
        package let bytes: [UInt8]
        /// `st_mode`: the type and permission bits.
        package let mode: UInt32
    }

    /// A key file is a few kilobytes; a larger one is the wrong file (or /dev/zero) and is not read whole.
    package static let readLimit = 1 << 20

    /// Reads the whole file at `path`; a directory fails with EISDIR.
    package static func contents(atPath path: String) -> Result<Contents, Failure> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(Failure("open")) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return .failure(Failure("fstat")) }
        guard (status.st_mode & S_IFMT) != S_IFDIR else {
            errno = EISDIR
            return .failure(Failure("read"))
        }
        return readAll(descriptor).map { Contents(bytes: $0, mode: UInt32(status.st_mode)) }
    }

    /// Reads up to one byte past `readLimit`, so a caller can tell "exactly at the limit" from "too big".
    private static func readAll(_ descriptor: Int32) -> Result<[UInt8], Failure> {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while bytes.count <= readLimit {
            let count = read(descriptor, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return .failure(Failure("read")) }
            guard count > 0 else { break }
            bytes += chunk.prefix(count)
        }
        return .success(bytes)
    }

    /// Creates or truncates `path`, sets `mode` exactly, writes `bytes` and flushes them to disk.
    package static func replace(atPath path: String, with bytes: [UInt8], mode: mode_t) -> Result<Void, Failure> {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else { return .failure(Failure("open")) }
        // fchmod before writing: an existing file may have wider permissions than `mode`, and the umask
        // only ever narrowed the mode given to open for a new one.
        guard fchmod(descriptor, mode) == 0 else { return closing(descriptor, Failure("fchmod")) }
        if case .failure(let failure) = writeAll(bytes, to: descriptor) { return closing(descriptor, failure) }
        guard fsync(descriptor) == 0 else { return closing(descriptor, Failure("fsync")) }
        guard close(descriptor) == 0 else { return .failure(Failure("close")) }
        return .success(())
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Result<Void, Failure> {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return .failure(Failure("write")) }
            offset += count
        }
        return .success(())
    }

    private static func closing(_ descriptor: Int32, _ failure: Failure) -> Result<Void, Failure> {
        close(descriptor)
        return .failure(failure)
    }

    /// Creates a new folder `<system temporary directory>/<prefix>-XXXXXX`, readable by its owner only, and
    /// returns its path; the caller removes it.
    package static func temporaryFolder(prefix: String) -> Result<String, Failure> {
        var template = Array((NSTemporaryDirectory() + prefix + "-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { return .failure(Failure("mkdtemp")) }
        return .success(String(cString: made))
    }

    /// Nil when no other user may read a file of `mode`; otherwise the problem, with the exact fix. Files holding
    /// secrets (a merchant private key, an APIv3 key) must pass.
    ///
    /// - Parameter secret: what the file holds, e.g. "a merchant private key".
    package static func readableByOthersProblem(mode: UInt32, path: String, holding secret: String) -> String? {
        guard mode & UInt32(S_IROTH) != 0 else { return nil }
        return "is readable by every user on this machine (mode \(octal(mode & 0o777))); "
            + "\(secret) must not be; fix it with `chmod o-rwx \(ShellQuoting.quoted(path))`"
    }

    /// `0640`: a mode as `chmod` and `ls -l` users read it.
    package static func octal(_ mode: UInt32) -> String {
        "0" + String(mode, radix: 8)
    }
}
