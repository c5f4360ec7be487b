import Foundation

/// A folder made read-only by a bind mount over a writable file system: what systemd's `ProtectSystem=strict` and
/// `ReadOnlyPaths=` do to everything outside a unit's own folders. The fix is the unit's `ReadWritePaths=`, not
/// the disk, and a restart cannot help, so it is told apart from a file system that is itself mounted read-only.
package enum ReadOnlyView {
    /// True when the mount holding `path` is read-only for this process and its file system is not, as
    /// `/proc/self/mountinfo` says; false when that cannot be read.
    package static func covers(_ path: String) -> Bool {
        // Not String(contentsOfFile:): it stops after the first 4 KB of a /proc file, whose size reads as zero, and
        // a sandboxed unit's table is longer, its writable folders at the end.
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/mountinfo") else { return false }
        defer { try? handle.close() }
        guard let bytes = try? handle.readToEnd() else { return false }
        let table = String(decoding: bytes, as: UTF8.self)
        let resolved = path.withCString { pointer in
            realpath(pointer, nil).map { resolved in
                defer { free(resolved) }
                return String(cString: resolved)
            }
        }
        return covers(resolved ?? path, mountInfo: table)
    }

    /// The rule on the text of a mountinfo table (proc(5)): of the mounts whose mount point is `path` or one of
    /// its parents, the deepest decides, and of several at the same point the last (it hides the ones before).
    /// Read-only per mount (field 6) on a file system whose super options say `rw` is a read-only view.
    package static func covers(_ path: String, mountInfo: String) -> Bool {
        var deepest: (depth: Int, view: Bool)?
        for line in mountInfo.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 10, let separator = fields.firstIndex(of: "-"), separator >= 6,
                fields.count > separator + 3
            else { continue }
            let mountPoint = unescaped(fields[4])
            guard contains(mountPoint, path) else { continue }
            let depth = mountPoint == "/" ? 0 : mountPoint.split(separator: "/").count
            let mountReadOnly = fields[5].split(separator: ",").contains("ro")
            let superReadOnly = fields[separator + 3].split(separator: ",").contains("ro")
            if depth >= (deepest?.depth ?? -1) { deepest = (depth, mountReadOnly && !superReadOnly) }
        }
        return deepest?.view ?? false
    }

    /// Whether `path` is `mountPoint` or below it, compared by whole components.
    private static func contains(_ mountPoint: String, _ path: String) -> Bool {
        mountPoint == "/" || path == mountPoint || path.hasPrefix(mountPoint + "/")
    }

    /// mountinfo writes space, tab, newline and backslash in paths as three octal digits after a backslash.
    private static func unescaped(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        var rest = field.utf8[...]
        while let byte = rest.first {
            let digits = rest.dropFirst().prefix(3)
            if byte == UInt8(ascii: "\\"), digits.count == 3,
                let value = UInt8(String(decoding: digits, as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                rest = rest.dropFirst(4)
            } else {
                bytes.append(byte)
                rest = rest.dropFirst()
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
