import Foundation
import WatcherPOSIX

/// A fresh folder under the system's temporary directory, removed by ``remove()``.
package struct TemporaryDirectory: Sendable {
    /// Its absolute path.
    package let path: String

    /// Creates the folder.
    package init(prefix: String = "wechatpay-watcher-test") {
        path = try! POSIXFile.temporaryFolder(prefix: prefix).get()
    }

    /// A path inside the folder.
    package func file(_ name: String) -> String { path + "/" + name }

    /// Deletes the folder and everything in it.
    package func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
