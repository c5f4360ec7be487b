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
