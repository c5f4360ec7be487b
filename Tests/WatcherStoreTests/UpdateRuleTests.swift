import Foundation
import Testing
import WatcherSQLite
import WatcherStore

@Suite("One UPDATE rule: the row the engine keeps after an update is the row the database then holds")
struct UpdateRuleTests {
    let start = Date(timeIntervalSince1970: 1_795_852_800)

    /// The steps of one row's life, each built from the row as it stood before.
    let steps: [(String, (QueuedRow, Date) -> RowUpdate)] = [
        (
            "intake admits it",
            { row, at in
                var update = RowUpdate(row: row, table: imageTasks, at: at)
                update.nextPollAt = .set(at.timeIntervalSince1970 - 1e9)
                update.firstSeenAt = at.timeIntervalSince1970
                return update
            }
        ),
        (
            "a failed poll backs off",
            { row, at in
                var update = RowUpdate(row: row, table: imageTasks, at: at)
                update.failureCount = 3
                update.error = .set("HTTP 500")
                update.nextPollAt = .set(at.timeIntervalSince1970 + 8)
                return update
            }
        ),
        (
            "a 404 starts its run of 404s",
            { row, at in
                var update = RowUpdate(row: row, table: imageTasks, at: at)
                update.countsAsPoll = true
                update.notFoundSince = .set(at.timeIntervalSince1970)
                update.nextPollAt = .set(at.timeIntervalSince1970 + 5)
                return update
            }
        ),
        (
            "an answer moves it on and clears the failures",
            { row, at in
                var update = RowUpdate(row: row, table: imageTasks, at: at)
                update.newState = "PROCESSING"
                update.countsAsPoll = true
                update.failureCount = 0
                update.notFoundSince = .clear
                update.error = .clear
                update.firstSeenAt = at.timeIntervalSince1970
                update.nextPollAt = .set(at.timeIntervalSince1970 + 30)
                return update
            }
        ),
    ]

    @Test("after each step of a row's life, QueuedRow.applying gives what the store reads back")
    func applyingMatchesTheStore() async throws {
        let fixture = try StoreFixture()
        try fixture.insert(["task_000001"])
        var row = try #require(try await fixture.store.newRows(imageTasks, limit: 1).first)
        for (index, (step, makeUpdate)) in steps.enumerated() {
            let update = makeUpdate(row, start.addingTimeInterval(Double(index)))
            #expect(try await fixture.store.apply([update]).first?.isApplied == true, "\(step)")
            let expected = try #require(row.applying(update), "\(step)")
            let stored = try await fixture.store.upcomingRows(imageTasks, merchant: row.merchantID, limit: 1).first
            #expect(stored == expected, "\(step)")
            row = expected
        }
    }

    @Test("a final update leaves nothing to keep, and the store no longer offers the row")
    func terminal() async throws {
        let fixture = try StoreFixture()
        try fixture.insert(["task_000001"])
        let row = try #require(try await fixture.store.newRows(imageTasks, limit: 1).first)
        var update = RowUpdate(row: row, table: imageTasks, at: start)
        update.newState = "SUCCESS"
        update.isTerminal = true
        update.results = ["image_url": .text("https://img.example/a.jpg")]
        #expect(row.applying(update) == nil)
        _ = try await fixture.store.apply([update])
        #expect(try await fixture.store.upcomingRows(imageTasks, merchant: row.merchantID, limit: 1).isEmpty)
        #expect(try await fixture.store.newRows(imageTasks, limit: 1).isEmpty)
    }
}
