import Foundation
import Testing
import WatcherSQLite
import WatcherStore
import WatcherTestSupport

@Suite("Incremental auto-vacuum, so that pruned pages can leave the file")
struct RetentionMigrationTests {
    @Test("a new database is created with auto_vacuum = INCREMENTAL")
    func newDatabase() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let connection = try SQLiteConnection(path: directory.file("db.sqlite3"))
        defer { connection.close() }
        try Migrator.migrate(connection, kinds: shippedKinds)
        #expect(try connection.scalar("PRAGMA auto_vacuum") == .integer(2))
        #expect(try StorageFigures.read(connection).autoVacuum == "incremental")
    }

    @Test("vacuum steps of any size return free pages without adding a cached statement for each size")
    func vacuumSteps() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let connection = try SQLiteConnection(path: directory.file("db.sqlite3"))
        defer { connection.close() }
        try Migrator.migrate(connection, kinds: shippedKinds)
        try connection.run("CREATE TABLE filler (bytes BLOB)")
        for _ in 0..<64 { try connection.run("INSERT INTO filler VALUES (zeroblob(4000))") }
        try connection.run("DELETE FROM filler")
        let free = try Retention.freePages(on: connection)
        #expect(free > 0)
        let cached = connection.cachedStatementCount
        for pages in 1...5 { try Retention.vacuumStep(pages: pages, on: connection) }
        #expect(try Retention.freePages(on: connection) == free - 15)
        #expect(connection.cachedStatementCount == cached)
    }

    @Test("an existing database without it is rewritten once, keeping its rows, and is then incremental")
    func existingDatabase() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let connection = try ShippedSchema.database(at: 3, path: directory.file("db.sqlite3"))
        defer { connection.close() }
        #expect(try connection.scalar("PRAGMA auto_vacuum") == .integer(0))
        try connection.run(
            "INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type) VALUES ('1900000001', 'task_000001', '120344', 'CUT_OUT')"
        )
        #expect(try Retention.needsRewrite(connection))

        #expect(
            try Migrator.migrate(connection, kinds: shippedKinds).first
                == AppliedMigration(owner: "store", version: Retention.incrementalVacuumMigration.version))

        #expect(try connection.scalar("PRAGMA auto_vacuum") == .integer(2))
        #expect(try !Retention.needsRewrite(connection))
        #expect(try connection.scalar("SELECT count(*) FROM image_generation_tasks") == .integer(1))
        #expect(try connection.scalar("PRAGMA journal_mode") == .text("wal"))
    }
}
