import CSQLite

/// A failed SQLite call, with what an operator needs: the code and its name, SQLite's message, the SQL and the file.
package struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// The primary result code (`extendedCode & 0xFF`).
    package let code: Int32
    /// The extended result code.
    package let extendedCode: Int32
    /// SQLite's message.
    package let message: String
    /// The statement, if one was involved.
    package let sql: String?
    /// The database file.
    package let path: String

    /// Creates an error.
    package init(extendedCode: Int32, message: String, sql: String?, path: String) {
        self.code = extendedCode & 0xFF
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
        self.path = path
    }

    /// `SQLITE_BUSY`, `SQLITE_IOERR_WRITE`, …
    package var codeName: String {
        Self.extendedNames[extendedCode] ?? Self.primaryNames[code] ?? "SQLITE_ERROR_\(extendedCode)"
    }

    /// Another connection holds a lock.
    package var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
    /// The database or its folder is read-only.
    package var isReadOnly: Bool { code == SQLITE_READONLY }
    /// The file is damaged or not a database.
    package var isCorrupt: Bool { code == SQLITE_CORRUPT || code == SQLITE_NOTADB }
    /// The operating system refused a read, write or open.
    package var isIOError: Bool { code == SQLITE_IOERR || code == SQLITE_CANTOPEN }
    /// A constraint (unique, not null, check) was violated.
    package var isConstraint: Bool { code == SQLITE_CONSTRAINT }
    /// The index a statement named (`INDEXED BY`) that the database does not have: someone dropped it.
    package var missingIndex: String? {
        let prefix = "no such index: "
        guard code == SQLITE_ERROR, message.hasPrefix(prefix) else { return nil }
        return String(message.dropFirst(prefix.count))
    }

    /// A human-readable account, for logs and error messages.
    package var description: String {
        var text = "SQLite error \(extendedCode) (\(codeName)): \(message) [database \(path)]"
        if let sql {
            let compact = sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            text += " while executing: " + (compact.count > 300 ? String(compact.prefix(300)) + "…" : compact)
        }
        return text
    }

    private static let primaryNames: [Int32: String] = [
        SQLITE_ERROR: "SQLITE_ERROR", SQLITE_INTERNAL: "SQLITE_INTERNAL", SQLITE_PERM: "SQLITE_PERM",
        SQLITE_ABORT: "SQLITE_ABORT", SQLITE_BUSY: "SQLITE_BUSY", SQLITE_LOCKED: "SQLITE_LOCKED",
        SQLITE_NOMEM: "SQLITE_NOMEM", SQLITE_READONLY: "SQLITE_READONLY", SQLITE_INTERRUPT: "SQLITE_INTERRUPT",
        SQLITE_IOERR: "SQLITE_IOERR", SQLITE_CORRUPT: "SQLITE_CORRUPT", SQLITE_NOTFOUND: "SQLITE_NOTFOUND",
        SQLITE_FULL: "SQLITE_FULL", SQLITE_CANTOPEN: "SQLITE_CANTOPEN", SQLITE_PROTOCOL: "SQLITE_PROTOCOL",
        SQLITE_SCHEMA: "SQLITE_SCHEMA", SQLITE_TOOBIG: "SQLITE_TOOBIG", SQLITE_CONSTRAINT: "SQLITE_CONSTRAINT",
        SQLITE_MISMATCH: "SQLITE_MISMATCH", SQLITE_MISUSE: "SQLITE_MISUSE", SQLITE_NOLFS: "SQLITE_NOLFS",
        SQLITE_AUTH: "SQLITE_AUTH", SQLITE_RANGE: "SQLITE_RANGE", SQLITE_NOTADB: "SQLITE_NOTADB",
    ]

    private static let extendedNames: [Int32: String] = [
        SQLITE_IOERR | (3 << 8): "SQLITE_IOERR_WRITE", SQLITE_IOERR | (1 << 8): "SQLITE_IOERR_READ",
        SQLITE_IOERR | (4 << 8): "SQLITE_IOERR_FSYNC", SQLITE_IOERR | (10 << 8): "SQLITE_IOERR_DELETE",
        SQLITE_IOERR | (13 << 8): "SQLITE_IOERR_ACCESS", SQLITE_IOERR | (18 << 8): "SQLITE_IOERR_SHMOPEN",
        SQLITE_READONLY | (1 << 8): "SQLITE_READONLY_RECOVERY", SQLITE_READONLY | (3 << 8): "SQLITE_READONLY_ROLLBACK",
        SQLITE_READONLY | (4 << 8): "SQLITE_READONLY_DBMOVED", SQLITE_READONLY | (6 << 8): "SQLITE_READONLY_DIRECTORY",
        SQLITE_CONSTRAINT | (6 << 8): "SQLITE_CONSTRAINT_PRIMARYKEY",
        SQLITE_CONSTRAINT | (5 << 8): "SQLITE_CONSTRAINT_NOTNULL",
        SQLITE_CONSTRAINT | (8 << 8): "SQLITE_CONSTRAINT_UNIQUE",
        SQLITE_CONSTRAINT | (1 << 8): "SQLITE_CONSTRAINT_CHECK",
        SQLITE_BUSY | (2 << 8): "SQLITE_BUSY_SNAPSHOT", SQLITE_CORRUPT | (1 << 8): "SQLITE_CORRUPT_VTAB",
    ]
}
