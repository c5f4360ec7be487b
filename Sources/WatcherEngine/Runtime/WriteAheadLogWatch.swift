/// Tells when the database's `-wal` file has grown far beyond what checkpoints let it reach, and when it is back.
///
/// A checkpoint copies the log into the database and cannot pass the snapshot of a connection that holds a read
/// transaction open, so while one does the file grows with every commit, and nothing else would say why.
struct WriteAheadLogWatch {
    /// Sixteen times what the automatic checkpoint (1,000 pages) lets the file reach in normal work.
    static let alarmBytes = 64 << 20
    /// The size the store's writer cuts the file back to after a complete checkpoint.
    static let clearBytes = 16 << 20

    /// A change worth a log line.
    enum Change: Equatable {
        /// The file passed ``alarmBytes``; its size.
        case grew(Int)
        /// After a ``grew``, the file is back to ``clearBytes`` or less; its size.
        case shrank(Int)
    }

    private var alarmed = false

    /// The file's size now; a change when it crossed a threshold since the last call.
    mutating func observe(bytes: Int) -> Change? {
        if !alarmed, bytes > Self.alarmBytes {
            alarmed = true
            return .grew(bytes)
        }
        if alarmed, bytes <= Self.clearBytes {
            alarmed = false
            return .shrank(bytes)
        }
        return nil
    }
}
