import Foundation
import Testing
import WatcherSQLite
import WatcherStore

@Suite("The write-ahead log")
struct WriteAheadLogTests {
    /// Size of the fixture's `-wal` file in bytes.
    private func walBytes(_ fixture: StoreFixture) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: fixture.path + "-wal")
        return (attributes[.size] as? Int) ?? 0
    }

    @Test("a -wal file grown while a reader held a transaction open shrinks once the reader is gone")
    func walShrinksAfterALongReader() async throws {
        let fixture = try StoreFixture()
        try fixture.insert(["task_a"])
        // An operator's `sqlite3` shell left in a read transaction: no checkpoint can pass its snapshot.
        let reader = try SQLiteConnection(path: fixture.path)
        try reader.execute("BEGIN")
        _ = try reader.scalar("SELECT count(*) FROM image_generation_tasks")
        let producer = try SQLiteConnection(path: fixture.path)
        defer { producer.close() }
        producer.setBusyTimeout(milliseconds: 5_000)
        let padding = String(repeating: "x", count: 4_000)
        for batch in 0..<60 {
            try producer.transaction {
                for index in 0..<100 {
                    try producer.run(
                        """
                        INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type, error)
                        VALUES ('1900000001', ?, '120344', 'CUT_OUT', ?)
                        """,
                        [.text("bulk_\(batch)_\(index)"), .text(padding)])
                }
            }
        }
        let grown = try walBytes(fixture)
        #expect(grown > 20_000_000, "the reader pinned the log: \(grown) bytes")
        try reader.execute("COMMIT")
        reader.close()
        _ = try producer.query("PRAGMA wal_checkpoint(PASSIVE)")

        // The daemon's next commit starts the log over, and cuts the file back.
        var update = RowUpdate(
            row: try #require(try await fixture.store.newRows(imageTasks, limit: 1).first), table: imageTasks,
            at: Date())
        update.nextPollAt = .set(1)
        #expect(try await fixture.store.apply([update]).first?.isApplied == true)
        let after = try walBytes(fixture)
        #expect(after <= 16_777_216, "the -wal file is \(after) bytes after the reader left (\(grown) before)")
    }
}
