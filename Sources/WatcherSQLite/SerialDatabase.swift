import CSQLite
import Dispatch
import WatcherSync

/// One connection owned by one private serial queue (GRDB's SerializedDatabase idea).
///
/// All SQLite work for the connection runs on that queue, never on Swift's cooperative thread pool: a statement
/// waiting seconds for a producer's lock blocks this queue's thread only, not the async tasks of the daemon.
package final class SerialDatabase: @unchecked Sendable {
    // @unchecked Sendable: `connection` is only touched inside `queue.sync`/`queue.async` blocks, and the queue is
    // serial, so at most one thread uses it at a time; `closed` is behind a lock.
    private let connection: SQLiteConnection
    private let queue: DispatchQueue
    private let closed = Locked(false)

    /// The database file.
    package var path: String { connection.path }

    /// Opens the database and runs `prepare` (pragmas, migrations) on the queue; rethrows its error.
    package init(
        path: String,
        mode: SQLiteConnection.OpenMode = .readWrite(create: true),
        label: String = "sqlite",
        prepare: (SQLiteConnection) throws -> Void = { _ in }
    ) throws {
        queue = DispatchQueue(label: "wechatpay-watcher.\(label)")
        connection = try SQLiteConnection(path: path, mode: mode)
        try queue.sync { try prepare(connection) }
    }

    /// Runs `body` on the queue and returns its result to the caller.
    package func perform<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body(try self.checkedConnection().get()) })
            }
        }
    }

    /// Closes the connection once the work already queued is done; later calls throw.
    package func close() {
        queue.sync {
            let wasClosed = closed.withLock { closed in
                defer { closed = true }
                return closed
            }
            if !wasClosed { connection.close() }
        }
    }

    private func checkedConnection() -> Result<SQLiteConnection, SQLiteError> {
        if closed.withLock({ $0 }) {
            return .failure(
                SQLiteError(extendedCode: SQLITE_MISUSE, message: "the database is closed", sql: nil, path: path))
        }
        return .success(connection)
    }
}
