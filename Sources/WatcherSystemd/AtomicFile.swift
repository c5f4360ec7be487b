import Foundation

/// Replacing a file so that readers see either the old content or the new, and a crash leaves one of the two.
enum AtomicFile {
    /// Writes `bytes` to a new hidden file beside `path`, fsyncs it, sets `mode` (not subject to the umask),
    /// renames it over `path` and fsyncs the folder so the rename itself survives a power cut.
    static func replace(_ path: String, with bytes: [UInt8], mode: mode_t) throws(PrometheusTextfileError) {
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
        let name = path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
        let (descriptor, temporary) = try createTemporary(beside: path, folder: folder, name: name)
        do throws(PrometheusTextfileError) {
            defer { close(descriptor) }
            try check(fchmod(descriptor, mode), "fchmod", path)
            try writeAll(descriptor, bytes, path: path)
            try check(fsync(descriptor), "fsync", path)
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw .writeFailed(path: path, operation: "rename", code: code)
        }
        let directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            // The new content is in place either way; this only makes the rename durable.
            _ = fsync(directory)
            close(directory)
        }
    }

    /// A new file `.<name>.<random>` in `folder`, created exclusively (`O_EXCL`), so it is never someone else's.
    private static func createTemporary(
        beside path: String, folder: String, name: String
    ) throws(PrometheusTextfileError) -> (Int32, String) {
        var attempts = 0
        while true {
            let temporary = "\(folder)/.\(name).\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            if descriptor >= 0 { return (descriptor, temporary) }
            attempts += 1
            guard errno == EEXIST, attempts < 10 else {
                // Without the random name: the same failure must read the same each time, to be logged once.
                throw .writeFailed(path: path, operation: "create a temporary file in \(folder)", code: errno)
            }
        }
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws(PrometheusTextfileError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw .writeFailed(path: path, operation: "write", code: errno)
            }
            offset += written
        }
    }

    private static func check(_ result: Int32, _ operation: String, _ path: String) throws(PrometheusTextfileError) {
        guard result == 0 else { throw .writeFailed(path: path, operation: operation, code: errno) }
    }
}
