import Foundation

/// What identifies the content of a few files without reading them: device, inode, size and modification time.
/// An editor's save, `cp` over the file or `mv` into its place each change one of them.
struct FileStamps: Sendable, Equatable {
    private let stamps: [String: String]

    /// The stamps of `paths` now; a file that cannot be looked at is stamped with the reason.
    init(_ paths: [String]) {
        var stamps: [String: String] = [:]
        for path in paths {
            var status = stat()
            if stat(path, &status) == 0 {
                stamps[path] =
                    "\(status.st_dev):\(status.st_ino):\(status.st_size):"
                    + "\(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec)"
            } else {
                stamps[path] = "unreadable: \(errno)"
            }
        }
        self.stamps = stamps
    }

    /// The files of `self` that `later` stamps differently, sorted; files only one of them knows are not compared.
    func changed(in later: FileStamps) -> [String] {
        stamps.compactMap { path, stamp in later.stamps[path].map { $0 == stamp ? nil : path } ?? nil }.sorted()
    }
}
