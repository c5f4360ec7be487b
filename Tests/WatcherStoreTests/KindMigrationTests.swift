import Foundation
import ImageGenerationTasks
import ProductCoupons
import Testing
import WatcherSQLite
import WatcherStore
import WatcherTestSupport

/// Every object of the schema as `type name (table): sql`, whitespace collapsed, plus the recorded versions.
private func schema(_ connection: SQLiteConnection) throws -> [String] {
    let objects = try connection.query(
        "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name"
    ).map { row in
        let sql = (row["sql"].stringValue ?? "").split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return
            "\(row["type"].stringValue ?? "") \(row["name"].stringValue ?? "") (\(row["tbl_name"].stringValue ?? "")): \(sql)"
    }
    let versions = try connection.query(
        "SELECT resource || ' ' || version AS entry FROM kind_migrations WHERE resource NOT LIKE '(%' ORDER BY resource"
    ).map { $0["entry"].stringValue ?? "" }
    return objects + versions + [
        "user_version \(try Migrator.userVersion(connection))",
        "auto_vacuum \(try connection.scalar("PRAGMA auto_vacuum").int64Value ?? -1)",
    ]
}

private func steps(_ list: String) -> [AppliedMigration] {
    list.split(separator: ",").map { step in
        let parts = step.split(separator: " ")
        return AppliedMigration(owner: String(parts[0]), version: Int(parts[1]) ?? 0)
    }
}

@Suite("Migrations: the store's own steps, then each kind's, and every shipped database upgrades in place")
struct KindMigrationTests {
    @Test("a new database takes the store's steps, then each kind's in order; migrating again applies nothing")
    func newDatabase() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let connection = try SQLiteConnection(path: directory.file("db.sqlite3"))
        defer { connection.close() }
        #expect(
            try Migrator.migrate(connection, kinds: shippedKinds)
                == steps(
                    "store 1,store 4,store 5,image_generation_task 1,image_generation_task 2,product_coupon 1,product_coupon 2"
                ))
        #expect(try Migrator.migrate(connection, kinds: shippedKinds) == [])
        #expect(try Migrator.userVersion(connection) == Schema.currentVersion)
    }

    @Test(
        "a database each release left behind upgrades to exactly the schema of a new one, keeping its rows",
        arguments: [
            (1, "store 4,store 5,image_generation_task 2,product_coupon 1,product_coupon 2"),
            (2, "store 4,store 5,image_generation_task 2,product_coupon 2"),
            (3, "store 4,store 5"),
            (4, "store 5"),
        ])
    func shippedVersions(version: Int, expected: String) throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let fresh = try SQLiteConnection(path: directory.file("fresh.sqlite3"))
        defer { fresh.close() }
        _ = try fresh.scalar("PRAGMA journal_mode = WAL")
        try Migrator.migrate(fresh, kinds: shippedKinds)

        let old = try ShippedSchema.database(at: version, path: directory.file("old.sqlite3"))
        defer { old.close() }
        try old.run(
            "INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type) VALUES ('1900000001', 'task_000001', '120344', 'CUT_OUT')"
        )
        #expect(try Migrator.migrate(old, kinds: shippedKinds) == steps(expected))
        #expect(try Migrator.migrate(old, kinds: shippedKinds) == [])

        #expect(try schema(old) == schema(fresh))
        #expect(try old.scalar("SELECT task_id FROM image_generation_tasks") == .text("task_000001"))
    }

    @Test("a new database interrupted after the store's first step is completed, kinds' tables included")
    func interruptedNewDatabase() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let fresh = try SQLiteConnection(path: directory.file("fresh.sqlite3"))
        defer { fresh.close() }
        try Migrator.migrate(fresh, kinds: shippedKinds)
        let connection = try SQLiteConnection(path: directory.file("db.sqlite3"))
        defer { connection.close() }
        try connection.execute(Schema.migrations[0].sql)
        try connection.execute("PRAGMA user_version = 1")

        try Migrator.migrate(connection, kinds: shippedKinds)

        #expect(try schema(connection) == schema(fresh))
    }

    @Test("a kind opened for the first time on an existing database gets its table then, from its own steps")
    func kindAddedLater() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let connection = try SQLiteConnection(path: directory.file("db.sqlite3"))
        defer { connection.close() }
        try Migrator.migrate(connection, kinds: [ImageGenerationTaskKind.schema])
        #expect(
            try connection.scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'product_coupons'") == .integer(0))

        #expect(
            try Migrator.migrate(connection, kinds: shippedKinds) == steps("product_coupon 1,product_coupon 2"))
    }

    @Test("a table whose kind has more steps than this program knows is refused, naming the table")
    func newerKind() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let connection = try SQLiteConnection(path: directory.file("db.sqlite3"))
        defer { connection.close() }
        try Migrator.migrate(connection, kinds: shippedKinds)
        try connection.run("UPDATE kind_migrations SET version = 9 WHERE resource = 'product_coupon'")
        #expect {
            try Migrator.migrate(connection, kinds: shippedKinds)
        } throws: { error in
            "\(error)".contains("table product_coupons has schema version 9, newer than this program knows (2)")
        }
    }
}

@Suite("Queue indexes someone dropped")
struct DroppedIndexTests {
    @Test("a queue index dropped by another connection is built again when the store opens, and named")
    func droppedIndexIsRestored() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("db.sqlite3")
        try WatchStore(path: path, kinds: shippedKinds).close()
        let connection = try SQLiteConnection(path: path)
        defer { connection.close() }
        let complete = try schema(connection)
        try connection.execute("DROP INDEX image_generation_tasks_due; DROP INDEX product_coupons_oldest")

        let store = try WatchStore(path: path, kinds: shippedKinds)
        store.close()
        #expect(store.restoredIndexes == ["image_generation_tasks_due", "product_coupons_oldest"])
        #expect(try schema(connection) == complete, "the same indexes as the migrations built")
        let again = try WatchStore(path: path, kinds: shippedKinds)
        again.close()
        #expect(again.restoredIndexes == [])
    }
}
