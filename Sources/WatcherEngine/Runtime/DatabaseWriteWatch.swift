import Dispatch
import Foundation
import WatcherSync

#if canImport(Glibc)
    import Glibc
#endif

/// Tells at once when any process writes the database's `-wal` file, as every commit in WAL mode does.
///
/// inotify reports each `write(2)` to the file, so intake learns of a producer's commit without polling for it and
/// can sleep while nothing happens. Best effort: a file system that does not report other hosts' writes (NFS), a
/// kernel without inotify, or a `-wal` file deleted and recreated go unnoticed until ``rearm()`` succeeds, so the
/// caller keeps a slow poll besides.
final class DatabaseWriteWatch: Sendable {
    private struct State {
        /// The watch descriptor, or nil while the file is not watched.
        var watch: Int32?
        var events: UInt64 = 0
    }

    /// The file watched.
    let path: String
    private let descriptor: Int32
    private let state = Locked(State())
    private let source: SourceBox
    /// How long the source rests after reporting a batch: the most often a burst of commits makes intake look.
    private static let restMilliseconds = 25

    /// Starts watching `path` (which need not exist yet), calling `onWrite` on a Dispatch thread after each batch
    /// of writes; nil when inotify is unavailable.
    init?(path: String, onWrite: @escaping @Sendable () -> Void) {
        #if canImport(Glibc)
            let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
            guard descriptor >= 0 else { return nil }
            self.path = path
            self.descriptor = descriptor
            let queue = DispatchQueue(label: "wechatpay-watcher.write-watch")
            let source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: queue)
            let box = SourceBox(source)
            self.source = box
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.drain()
                onWrite()
                // One commit is many writes, and the watcher's own commits come dozens a second: the kernel
                // merges repeated events while the source rests, so a burst wakes this thread once per rest.
                box.source.suspend()
                queue.asyncAfter(deadline: .now() + .milliseconds(Self.restMilliseconds)) { box.source.resume() }
            }
            source.setCancelHandler { close(descriptor) }
            source.activate()
            rearm()
        #else
            return nil
        #endif
    }

    deinit {
        source.source.cancel()
    }

    /// How many batches of writes have been reported so far: a change in this number means news.
    var events: UInt64 { state.withLock { $0.events } }

    /// True while the file is watched; false when it did not exist or went away, until ``rearm()`` finds it again.
    var isArmed: Bool { state.withLock { $0.watch != nil } }

    /// Watches the file again if the watch was lost (or never set up because the file did not exist yet).
    func rearm() {
        #if canImport(Glibc)
            state.withLock { state in
                guard state.watch == nil else { return }
                let mask = UInt32(IN_MODIFY) | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF)
                let watch = inotify_add_watch(descriptor, path, mask)
                if watch >= 0 { state.watch = watch }
            }
        #endif
    }

    /// Reads every pending event; a deleted or renamed file ends the watch, which ``rearm()`` may set up again.
    private func drain() {
        #if canImport(Glibc)
            let header = MemoryLayout<Int32>.size + 3 * MemoryLayout<UInt32>.size
            var buffer = [UInt8](repeating: 0, count: 4096)
            var lost = false
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                guard count > 0 else { break }
                var offset = 0
                while offset + header <= count {
                    let (mask, length) = buffer.withUnsafeBytes { bytes in
                        (
                            bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                            bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)
                        )
                    }
                    if mask & (UInt32(IN_IGNORED) | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF)) != 0 { lost = true }
                    offset += header + Int(length)
                }
            }
            state.withLock { state in
                state.events += 1
                if lost, let watch = state.watch {
                    // Removing a watch the kernel already dropped fails harmlessly.
                    _ = inotify_rm_watch(descriptor, watch)
                    state.watch = nil
                }
            }
        #endif
    }
}

/// The Dispatch source, which Dispatch does not declare `Sendable`.
private final class SourceBox: @unchecked Sendable {
    // @unchecked Sendable: `source` is a constant; `cancel()` may be called from any thread, and `suspend()`/`resume()`
    // are called only on the source's own serial queue, in pairs.
    let source: any DispatchSourceRead

    init(_ source: any DispatchSourceRead) {
        self.source = source
    }
}
