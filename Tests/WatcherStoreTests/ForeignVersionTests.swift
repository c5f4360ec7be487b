import Foundation
import Testing
import WatcherSQLite
import WatcherStore

@Suite("Commits by other connections")
struct ForeignVersionTests {
    @Test("the foreign version moves when another connection commits, not for the daemon's own writes")
    func foreignVersion() async throws {
        let fixture = try StoreFixture()
        try fixture.insert(["task_a"])
        let row = try #require(try await fixture.store.newRows(imageTasks, limit: 1).first)
        var update = RowUpdate(row: row, table: imageTasks, at: Date())
        update.nextPollAt = .set(10)
        _ = try await fixture.store.apply([update])
        let afterOwnAnswer = fixture.store.foreignVersion
        try await fixture.store.recordStart(pid: 42, hostname: "host", version: "test", at: Date())
        #expect(fixture.store.foreignVersion == afterOwnAnswer, "the writer's own commits are not foreign")

        try fixture.insert(["task_b"])
        #expect(fixture.store.foreignVersion == afterOwnAnswer, "seen only at the writer's next transaction")
        try await fixture.store.recordStart(pid: 42, hostname: "host", version: "test", at: Date())
        #expect(fixture.store.foreignVersion != afterOwnAnswer)
    }
}
