import Foundation
import Testing
import WatcherSQLite

/// A fresh folder for one test's database files.
private struct Scratch {
    let path: String

    init() {
        var template = Array((NSTemporaryDirectory() + "watcher-sqlite-test-XXXXXX").utf8CString)
        path = String(cString: mkdtemp(&template)!)
    }

    func file(_ name: String) -> String { path + "/" + name }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

@Suite("SQLiteConnection")
struct SQLiteConnectionTests {
    @Test("values of every storage class round-trip through bind and read")
    func roundTrip() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let connection = try SQLiteConnection(path: scratch.file("db.sqlite3"))
        try connection.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)")
        try connection.run(
            "INSERT INTO t VALUES (?, ?, ?, ?, ?)",
            [.integer(Int64.max), .real(2.5), .text("图片 ✓"), .blob([0, 1, 255]), .null])
        let row = try #require(try connection.query("SELECT * FROM t").first)
        #expect(row["i"] == .integer(Int64.max))
        #expect(row["r"] == .real(2.5))
        #expect(row["s"].stringValue == "图片 ✓")
        #expect(row["b"] == .blob([0, 1, 255]))
        #expect(row["n"].isNull)
        #expect(row.columnNames == ["i", "r", "s", "b", "n"])
    }

    @Test("text with a NUL inside round-trips whole; text that is not UTF-8 is read as the bytes it is")
    func textAsStored() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let connection = try SQLiteConnection(path: scratch.file("db.sqlite3"))
        try connection.execute("CREATE TABLE t (s TEXT)")
        try connection.run("INSERT INTO t VALUES (?)", [.text("before\u{0}after")])
        try connection.run("INSERT INTO t VALUES (CAST(X'62616466FF21' AS TEXT))")
        let rows = try connection.query("SELECT s, typeof(s), length(CAST(s AS BLOB)) FROM t ORDER BY rowid")
        #expect(rows[0][0] == .text("before\u{0}after"))
        #expect(rows[0][2] == .integer(12), "all twelve bytes were stored")
        #expect(rows[1][0] == .blob([0x62, 0x61, 0x64, 0x66, 0xFF, 0x21]))
        #expect(rows[1][1] == .text("text"))
        #expect(try connection.query("SELECT count(*) FROM t WHERE s = ?", [.text("before\u{0}after")])[0][0] == 1)
    }

    @Test("run returns the number of rows it changed and remembers the last rowid")
    func changesAndRowID() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let connection = try SQLiteConnection(path: scratch.file("db.sqlite3"))
        try connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        try connection.run("INSERT INTO t (v) VALUES ('a')")
        try connection.run("INSERT INTO t (v) VALUES ('b')")
        #expect(connection.lastInsertRowID == 2)
        #expect(try connection.run("UPDATE t SET v = 'c'") == 2)
        #expect(try connection.run("DELETE FROM t WHERE id = 99") == 0)
    }

    @Test("a throwing transaction body rolls back everything it wrote")
    func transactionRollsBack() throws {
        struct Abort: Error {}
        let scratch = Scratch()
        defer { scratch.remove() }
        let connection = try SQLiteConnection(path: scratch.file("db.sqlite3"))
        try connection.execute("CREATE TABLE t (v INTEGER)")
        #expect(throws: Abort.self) {
            try connection.transaction {
                try connection.run("INSERT INTO t VALUES (1)")
                throw Abort()
            }
        }
        #expect(!connection.isInTransaction)
        #expect(try connection.scalar("SELECT count(*) FROM t") == .integer(0))
        let value = try connection.transaction { try connection.run("INSERT INTO t VALUES (2)") }
        #expect(value == 1)
        #expect(try connection.scalar("SELECT count(*) FROM t") == .integer(1))
    }

    @Test("a nested transaction is refused instead of silently joining the outer one")
    func nestedTransactionRefused() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let connection = try SQLiteConnection(path: scratch.file("db.sqlite3"))
        try connection.transaction {
            let error = #expect(throws: SQLiteError.self) { try connection.transaction {} }
            #expect(error?.codeName == "SQLITE_MISUSE")
        }
    }

    @Test("a constraint violation names the constraint, the statement and the file")
    func constraintError() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let connection = try SQLiteConnection(path: scratch.file("db.sqlite3"))
        try connection.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
        try connection.run("INSERT INTO t VALUES ('x')")
        let error = #expect(throws: SQLiteError.self) { try connection.run("INSERT INTO t VALUES ('x')") }
        #expect(error?.isConstraint == true)
        #expect(error?.codeName == "SQLITE_CONSTRAINT_PRIMARYKEY")
        #expect(error?.description.contains("INSERT INTO t VALUES ('x')") == true)
        #expect(error?.description.contains(scratch.file("db.sqlite3")) == true)
    }

    @Test("a syntax error is reported, not cached, and the connection stays usable")
    func syntaxError() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let connection = try SQLiteConnection(path: scratch.file("db.sqlite3"))
        #expect(throws: SQLiteError.self) { try connection.query("SELEC 1") }
        #expect(try connection.scalar("SELECT 41 + 1") == .integer(42))
    }

    @Test("a second connection's write lock makes an immediate transaction fail with a busy error")
    func busy() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let path = scratch.file("db.sqlite3")
        let first = try SQLiteConnection(path: path)
        try first.execute("PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER)")
        let second = try SQLiteConnection(path: path)
        second.setBusyTimeout(milliseconds: 10)
        try first.execute("BEGIN IMMEDIATE")
        let error = #expect(throws: SQLiteError.self) {
            try second.transaction { try second.run("INSERT INTO t VALUES (1)") }
        }
        #expect(error?.isBusy == true)
        #expect(!second.isInTransaction)
        try first.execute("COMMIT")
        try second.transaction { try second.run("INSERT INTO t VALUES (1)") }
        #expect(try first.scalar("SELECT count(*) FROM t") == .integer(1))
    }

    @Test("data_version changes when another connection commits, not for the connection's own writes")
    func dataVersion() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let path = scratch.file("db.sqlite3")
        let watcher = try SQLiteConnection(path: path)
        try watcher.execute("PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER)")
        let before = try watcher.dataVersion()
        try watcher.run("INSERT INTO t VALUES (1)")
        #expect(try watcher.dataVersion() == before)
        let producer = try SQLiteConnection(path: path)
        try producer.run("INSERT INTO t VALUES (2)")
        #expect(try watcher.dataVersion() != before)
    }

    @Test("forEach stops when the body says so, and a body's error surfaces")
    func forEachStops() throws {
        struct Boom: Error {}
        let scratch = Scratch()
        defer { scratch.remove() }
        let connection = try SQLiteConnection(path: scratch.file("db.sqlite3"))
        try connection.execute("CREATE TABLE t (v INTEGER)")
        for value in 1...10 { try connection.run("INSERT INTO t VALUES (?)", [.integer(Int64(value))]) }
        var seen: [Int64] = []
        try connection.forEach("SELECT v FROM t ORDER BY v") { row in
            seen.append(row[0].int64Value ?? -1)
            return seen.count < 3
        }
        #expect(seen == [1, 2, 3])
        #expect(throws: (any Error).self) { try connection.forEach("SELECT v FROM t") { _ in throw Boom() } }
        #expect(try connection.scalar("SELECT count(*) FROM t") == .integer(10))
    }

    @Test("opening a missing file without create fails with SQLITE_CANTOPEN")
    func cannotOpen() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let error = #expect(throws: SQLiteError.self) {
            _ = try SQLiteConnection(path: scratch.file("absent.sqlite3"), mode: .readWrite(create: false))
        }
        #expect(error?.isIOError == true)
        #expect(error?.description.contains("absent.sqlite3") == true)
    }

    @Test("a file that is not a database is reported as corrupt, naming the file")
    func notADatabase() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let path = scratch.file("garbage.sqlite3")
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        let connection = try SQLiteConnection(path: path)
        let error = #expect(throws: SQLiteError.self) { try connection.query("SELECT * FROM sqlite_master") }
        #expect(error?.isCorrupt == true)
    }

    @Test("a read-only connection refuses writes with a read-only error")
    func readOnly() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let path = scratch.file("db.sqlite3")
        try SQLiteConnection(path: path).execute("CREATE TABLE t (v INTEGER)")
        let reader = try SQLiteConnection(path: path, mode: .readOnly)
        let error = #expect(throws: SQLiteError.self) { try reader.run("INSERT INTO t VALUES (1)") }
        #expect(error?.isReadOnly == true)
    }

    @Test("a closed connection throws SQLITE_MISUSE instead of crashing")
    func closed() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let connection = try SQLiteConnection(path: scratch.file("db.sqlite3"))
        connection.close()
        let error = #expect(throws: SQLiteError.self) { try connection.scalar("SELECT 1") }
        #expect(error?.codeName == "SQLITE_MISUSE")
    }
}

@Suite("SerialDatabase")
struct SerialDatabaseTests {
    @Test("concurrent async callers are serialised on the one connection and none is lost")
    func concurrentCallers() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let database = try SerialDatabase(path: scratch.file("db.sqlite3")) { connection in
            try connection.execute("CREATE TABLE t (v INTEGER)")
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for value in 0..<200 {
                group.addTask {
                    try await database.perform { connection in
                        try connection.transaction {
                            try connection.run("INSERT INTO t VALUES (?)", [.integer(Int64(value))])
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let count = try await database.perform { try $0.scalar("SELECT count(DISTINCT v) FROM t") }
        #expect(count == .integer(200))
    }

    @Test("after close, work throws instead of touching a closed handle")
    func closeThenPerform() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let database = try SerialDatabase(path: scratch.file("db.sqlite3"))
        database.close()
        database.close()
        await #expect(throws: SQLiteError.self) { try await database.perform { try $0.scalar("SELECT 1") } }
    }
}

@Suite(
    "SQLiteConnection: a database root creates", .enabled(if: geteuid() == 0, "changing a file's owner needs root"))
struct RootCreatedDatabaseTests {
    /// nobody:nogroup stands for the service user of a state folder such as /var/lib/wechatpay-watcher.
    static let owner: (uid: uid_t, gid: gid_t) = (65_534, 65_534)

    @Test("in a setgid 2770 folder: the folder's owner and group, 0660, as the service would have made it")
    func takesTheFolderOwner() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        #expect(chown(scratch.path, Self.owner.uid, Self.owner.gid) == 0)
        #expect(chmod(scratch.path, 0o2770) == 0)
        let connection = try SQLiteConnection(path: scratch.file("queue.sqlite3"))
        defer { connection.close() }
        try connection.execute("PRAGMA journal_mode = WAL; CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (1)")
        for file in ["queue.sqlite3", "queue.sqlite3-wal", "queue.sqlite3-shm"] {
            let status = try #require(Self.status(scratch.file(file)))
            #expect(status.st_uid == Self.owner.uid, "\(file)")
            #expect(status.st_gid == Self.owner.gid, "\(file)")
            #expect(status.st_mode & 0o777 == 0o660, "\(file): the group reads and writes, others nothing")
        }
    }

    @Test("in a folder the group may not write, only the owner changes; an existing file is left as it is")
    func groupRightsFollowTheFolder() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        #expect(chown(scratch.path, Self.owner.uid, Self.owner.gid) == 0)
        #expect(chmod(scratch.path, 0o755) == 0)
        let path = scratch.file("queue.sqlite3")
        try SQLiteConnection(path: path).close()
        let created = try #require(Self.status(path))
        #expect(created.st_uid == Self.owner.uid)
        #expect(created.st_mode & 0o020 == 0)

        let existing = scratch.file("existing.sqlite3")
        #expect(FileManager.default.createFile(atPath: existing, contents: nil))
        try SQLiteConnection(path: existing).close()
        #expect(try #require(Self.status(existing)).st_uid == 0)
    }

    private static func status(_ path: String) -> stat? {
        var status = stat()
        return stat(path, &status) == 0 ? status : nil
    }
}
