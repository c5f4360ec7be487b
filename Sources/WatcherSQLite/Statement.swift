import CSQLite

/// `SQLITE_TRANSIENT` does not import into Swift (it is a cast macro): it tells SQLite to copy bound text and blobs.
let transientDestructor = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement owned by one connection's cache.
final class Statement {
    let handle: OpaquePointer
    let sql: String

    init(handle: OpaquePointer, sql: String) {
        self.handle = handle
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Binds the arguments by position; returns SQLite's result code of the first failure, or SQLITE_OK.
    func bind(_ arguments: [SQLiteValue]) -> Int32 {
        for (offset, value) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let result: Int32
            switch value {
            case .null: result = sqlite3_bind_null(handle, index)
            case .integer(let number): result = sqlite3_bind_int64(handle, index, number)
            case .real(let number): result = sqlite3_bind_double(handle, index, number)
            // By its length, so an embedded NUL is bound too.
            case .text(let text):
                result = sqlite3_bind_text(handle, index, text, Int32(clamping: text.utf8.count), transientDestructor)
            case .blob(let bytes):
                result = bytes.withUnsafeBytes { buffer in
                    buffer.baseAddress.map {
                        sqlite3_bind_blob(handle, index, $0, Int32(buffer.count), transientDestructor)
                    }
                        ?? sqlite3_bind_zeroblob(handle, index, 0)
                }
            }
            guard result == SQLITE_OK else { return result }
        }
        return SQLITE_OK
    }

    /// The names of the result columns.
    var columnNames: [String] {
        (0..<sqlite3_column_count(handle)).map { String(cString: sqlite3_column_name(handle, $0)) }
    }

    /// The current row's values.
    func row(names: [String]) -> SQLiteRow {
        let values = (0..<Int32(names.count)).map { column -> SQLiteValue in
            switch sqlite3_column_type(handle, column) {
            case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, column))
            case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, column))
            case SQLITE_TEXT:
                // By its length, so an embedded NUL survives; bytes that are not UTF-8 are read as the bytes they are.
                guard let text = sqlite3_column_text(handle, column) else { return .text("") }
                let bytes = UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, column)))
                if let string = String(validating: bytes, as: UTF8.self) { return .text(string) }
                return .blob(Array(bytes))
            case SQLITE_BLOB:
                let count = Int(sqlite3_column_bytes(handle, column))
                guard count > 0, let bytes = sqlite3_column_blob(handle, column) else { return .blob([]) }
                return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
            default: return .null
            }
        }
        return SQLiteRow(columnNames: names, values: values)
    }

    /// Makes the statement ready for its next use.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }
}
