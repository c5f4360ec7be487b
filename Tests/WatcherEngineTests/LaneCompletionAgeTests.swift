import Testing
import WatcherStore

@testable import WatcherEngine

@Suite("Lane: the age a finished row was last seen unfinished, for the scheduler")
struct LaneCompletionAgeTests {
    private func row(createdAt: Double, firstSeenAt: Double?, lastPolledAt: Double?) -> QueuedRow {
        QueuedRow(
            rowID: 1, merchantID: "1900000001", resourceID: "task_1", brandID: "120344", state: "PROCESSING",
            createdAt: createdAt, firstSeenAt: firstSeenAt, lastPolledAt: lastPolledAt)
    }

    @Test("the last believed answer of this watch, as an age from the row's clock")
    func lastPollOfThisWatch() {
        #expect(Lane.unfinishedAge(of: row(createdAt: 1_000, firstSeenAt: 1_000.1, lastPolledAt: 1_012)) == 12)
    }

    @Test("none before a first answer, and none from a previous watch of a row watched again")
    func noneOtherwise() {
        #expect(Lane.unfinishedAge(of: row(createdAt: 1_000, firstSeenAt: 1_000.1, lastPolledAt: nil)) == nil)
        #expect(Lane.unfinishedAge(of: row(createdAt: 1_000, firstSeenAt: 2_000, lastPolledAt: 1_500)) == nil)
    }
}
