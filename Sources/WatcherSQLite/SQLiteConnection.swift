import CSQLite

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One SQLite connection. Not thread-safe and deliberately not `Sendable`: it has exactly one owner at a time
/// (a command, a test, or a ``SerialDatabase`` queue).
package final class SQLiteConnection {
    /// How to open the file.
    package enum OpenMode: Sendable {
        /// Read and write; `create` makes the file if it does not exist.
        case readWrite(create: Bool)
        /// Read only.
        case readOnly
    }

    /// The database file.
    package let path: String
    private var handle: OpaquePointer?
    private var statements: [String: Statement] = [:]

    /// Opens the database.
    package init(path: String, mode: OpenMode = .readWrite(create: true)) throws(SQLiteError) {
        self.path = path
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        switch mode {
        case .readWrite(let create):
            flags |= SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0)
            if create { createMissingDatabaseFile(path) }
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        }
        var opened: OpaquePointer?
        let result = sqlite3_open_v2(path, &opened, flags, nil)
        guard result == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(result))
            sqlite3_close_v2(opened)
            throw SQLiteError(extendedCode: result, message: "cannot open: \(message)", sql: nil, path: path)
        }
        handle = opened
        sqlite3_extended_result_codes(opened, 1)
    }

    deinit {
        close()
    }

    /// Finalizes every cached statement and closes the connection; later calls fail with `SQLITE_MISUSE`.
    package func close() {
        statements.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    /// How long a statement waits for another connection's lock before failing with `SQLITE_BUSY`.
    package func setBusyTimeout(milliseconds: Int32) {
        if let handle { sqlite3_busy_timeout(handle, milliseconds) }
    }

    /// Runs one or more statements that return no rows (schema, pragmas).
    package func execute(_ sql: String) throws(SQLiteError) {
        let handle = try open()
        var message: UnsafeMutablePointer<CChar>?
        let result = sqlite3_exec(handle, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard result == SQLITE_OK else {
            throw SQLiteError(
                extendedCode: sqlite3_extended_errcode(handle),
                message: message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(result)),
                sql: sql,
                path: path
            )
        }
    }

    /// Runs a statement to completion; returns the number of rows it changed.
    @discardableResult
    package func run(_ sql: String, _ arguments: [SQLiteValue] = []) throws(SQLiteError) -> Int {
        try withStatement(sql, arguments) { statement throws(SQLiteError) in
            while try step(statement) {}
        }
        return Int(sqlite3_changes(handle))
    }

    /// All result rows.
    package func query(_ sql: String, _ arguments: [SQLiteValue] = []) throws(SQLiteError) -> [SQLiteRow] {
        try withStatement(sql, arguments) { statement throws(SQLiteError) in
            let names = statement.columnNames
            var rows: [SQLiteRow] = []
            while try step(statement) { rows.append(statement.row(names: names)) }
            return rows
        }
    }

    /// Streams result rows; `body` returns false to stop early.
    package func forEach(_ sql: String, _ arguments: [SQLiteValue] = [], _ body: (SQLiteRow) throws -> Bool) throws {
        try withStatement(sql, arguments) { statement throws(SQLiteError) in
            let names = statement.columnNames
            var failure: (any Error)?
            while failure == nil, try step(statement) {
                do {
                    if try !body(statement.row(names: names)) { break }
                } catch {
                    failure = error
                }
            }
            if let failure {
                throw SQLiteError(extendedCode: SQLITE_ABORT, message: "\(failure)", sql: sql, path: path)
            }
        }
    }

    /// The first column of the first row, or `.null`.
    package func scalar(_ sql: String, _ arguments: [SQLiteValue] = []) throws(SQLiteError) -> SQLiteValue {
        try withStatement(sql, arguments) { statement throws(SQLiteError) in
            try step(statement) ? statement.row(names: [""])[0] : .null
        }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws. A failed COMMIT (e.g.
    /// `SQLITE_BUSY`) rolls back too and throws, so the caller retries the whole unit. `BEGIN IMMEDIATE` takes
    /// the write lock at once, so a transaction never fails half-way for want of it.
    @discardableResult
    package func transaction<T>(_ body: () throws -> T) throws -> T {
        guard !isInTransaction else {
            throw SQLiteError(
                extendedCode: SQLITE_MISUSE, message: "a transaction is already open", sql: "BEGIN", path: path)
        }
        try execute("BEGIN IMMEDIATE")
        let value: T
        do {
            value = try body()
            try execute("COMMIT")
        } catch {
            if isInTransaction { try? execute("ROLLBACK") }
            throw error
        }
        return value
    }

    /// Prepared statements kept for reuse, one per distinct SQL text.
    package var cachedStatementCount: Int { statements.count }

    /// The rowid of the last inserted row.
    package var lastInsertRowID: Int64 { handle.map { sqlite3_last_insert_rowid($0) } ?? 0 }

    /// True inside `BEGIN` … `COMMIT`.
    package var isInTransaction: Bool { handle.map { sqlite3_get_autocommit($0) == 0 } ?? false }

    /// `PRAGMA data_version`: changes when another connection commits, not for this one's own commits.
    package func dataVersion() throws(SQLiteError) -> Int64 {
        try scalar("PRAGMA data_version").int64Value ?? 0
    }

    // MARK: Statements

    private func open() throws(SQLiteError) -> OpaquePointer {
        guard let handle else {
            throw SQLiteError(extendedCode: SQLITE_MISUSE, message: "the connection is closed", sql: nil, path: path)
        }
        return handle
    }

    private func withStatement<T>(
        _ sql: String, _ arguments: [SQLiteValue], _ body: (Statement) throws(SQLiteError) -> T
    )
        throws(SQLiteError) -> T
    {
        let statement = try prepared(sql)
        defer { statement.reset() }
        let bound = statement.bind(arguments)
        guard bound == SQLITE_OK else { throw error(bound, sql) }
        return try body(statement)
    }

    private func prepared(_ sql: String) throws(SQLiteError) -> Statement {
        if let cached = statements[sql] { return cached }
        let handle = try open()
        var prepared: OpaquePointer?
        let result = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
        guard result == SQLITE_OK, let prepared else {
            sqlite3_finalize(prepared)
            throw error(result, sql)
        }
        let statement = Statement(handle: prepared, sql: sql)
        statements[sql] = statement
        return statement
    }

    /// Steps once: true for a row, false when done.
    private func step(_ statement: Statement) throws(SQLiteError) -> Bool {
        switch sqlite3_step(statement.handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let result: throw error(result, statement.sql)
        }
    }

    private func error(_ result: Int32, _ sql: String) -> SQLiteError {
        let extended = handle.map { sqlite3_extended_errcode($0) } ?? result
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(result))
        return SQLiteError(
            extendedCode: extended & 0xFF == result & 0xFF ? extended : result, message: message, sql: sql, path: path)
    }
}

@available(*, unavailable)
extension SQLiteConnection: Sendable {}

/// Creates a missing database file as an empty file of mode 0666 minus the umask, before SQLite opens it. SQLite
/// creates files 0644, which a umask can only narrow, so a service's `UMask=0007` could never make the queue
/// group-writable; its `-wal` and `-shm` files copy this file's mode. Any failure is left to `sqlite3_open_v2`,
/// which reports it with the path.
func createMissingDatabaseFile(_ path: String) {
    guard !path.isEmpty, path != ":memory:", !path.hasPrefix("file:") else { return }
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard descriptor >= 0 else { return }
    defer { close(descriptor) }
    guard geteuid() == 0 else { return }
    let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
    handOverToFolderOwner(descriptor, folder: folder.isEmpty ? "/" : folder)
}

/// A database root creates (`sudo wechatpay-watcher migrate` before the first start) would be root's, mode 0644,
/// which the service user could not write: it is given the folder's owner and group instead, the group's read and
/// write when the folder lets the group write, and nothing for others when the folder gives them nothing: what the
/// service (`UMask=0007`) would have made in its setgid 2770 folder. SQLite, run as root, gives `-wal` and `-shm`
/// files the database's owner and mode itself.
private func handOverToFolderOwner(_ descriptor: Int32, folder: String) {
    var folderStatus = stat()
    var fileStatus = stat()
    guard stat(folder, &folderStatus) == 0, fstat(descriptor, &fileStatus) == 0 else { return }
    _ = fchown(descriptor, folderStatus.st_uid, folderStatus.st_gid)
    var mode = fileStatus.st_mode & 0o777
    if folderStatus.st_mode & S_IWGRP != 0 { mode |= S_IRGRP | S_IWGRP }
    if folderStatus.st_mode & S_IRWXO == 0 { mode &= ~S_IRWXO }
    _ = fchmod(descriptor, mode)
}
