import Glibc

/// Which file a database path named when it was opened (device and inode): after the file is deleted or replaced, an
/// open connection goes on using the orphaned inode, which nobody else will ever read or write again.
package struct DatabaseFileIdentity: Sendable, Equatable {
    private let device: UInt64
    private let inode: UInt64

    /// The file at `path` now; nil when there is none.
    package init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    /// Nil while `path` still names this file; otherwise what happened to it while `holder` had it open.
    package func problem(path: String, holder: String) -> String? {
        guard let now = DatabaseFileIdentity(path: path) else {
            return
                "the database file \(path) was deleted while \(holder) had it open (\(String(cString: strerror(errno))))"
        }
        guard now == self else {
            return "the database file \(path) was replaced by another file while \(holder) had it open"
        }
        return nil
    }
}
