import Testing

@testable import WatcherEngine

@Suite("A lane's pending count: the lane's own changes adjust it; others' commits call for a count")
struct PendingCountTests {
    /// A count that has run once at `now` 0, finding `rows` with the writer at transaction `through`.
    private func counted(_ rows: Int, through: Int = 0, foreignVersion: Int64 = 1) -> PendingCount {
        var count = PendingCount()
        let startUp = count.isDue(now: 0, foreignVersion: foreignVersion)
        #expect(startUp, "start-up counts")
        count.started(now: 0, foreignVersion: foreignVersion)
        count.finished(count: rows, through: through)
        return count
    }

    /// Another connection commits at `now`: no count at once, one due once commits have paused for 5 s.
    private func countsAfterPause(_ count: inout PendingCount, foreignVersion: Int64, at now: Double) -> Bool {
        let atOnce = count.isDue(now: now, foreignVersion: foreignVersion)
        let afterPause = count.isDue(now: now + 5, foreignVersion: foreignVersion)
        return !atOnce && afterPause
    }

    @Test("arrivals add and final answers subtract, and no new count is due however long the lane runs")
    func ownChanges() {
        var count = counted(5)
        count.changed(by: 3, committedIn: 1)
        count.changed(by: -1, committedIn: 2)
        #expect(count.value == 7)
        let anHourOn = count.isDue(now: 3_600, foreignVersion: 1)
        #expect(!anHourOn)
    }

    @Test("a change the count already saw is not added again, however late the lane hears of it")
    func seenByTheCount() {
        var count = counted(0)
        let due = countsAfterPause(&count, foreignVersion: 2, at: 10)
        #expect(due)
        count.started(now: 15, foreignVersion: 2)
        count.changed(by: 2, committedIn: 3)
        count.finished(count: 10, through: 4)
        #expect(count.value == 10, "transaction 3 is in the count")
        count.changed(by: 1, committedIn: 4)
        #expect(count.value == 10, "so is transaction 4")
        count.changed(by: 1, committedIn: 5)
        #expect(count.value == 11)
    }

    @Test("a change the lane hears of while the count waits to read is not added again when the read saw it")
    func heardBeforeTheRead() {
        var count = counted(0)
        let due = countsAfterPause(&count, foreignVersion: 2, at: 10)
        #expect(due)
        count.started(now: 15, foreignVersion: 2)
        count.changed(by: 2, committedIn: 7)
        count.finished(count: 12, through: 7)
        #expect(count.value == 12, "the two rows of transaction 7 are among the twelve")
    }

    @Test("a count the writer committed during is repeated at once, and the repeat puts the value right")
    func ambiguousCountRepeats() {
        var count = PendingCount()
        let startUp = count.isDue(now: 0, foreignVersion: 1)
        #expect(startUp)
        count.started(now: 0, foreignVersion: 1)
        count.finished(count: 2, through: 0, seenAtMost: 1)
        count.changed(by: 2, committedIn: 1)
        #expect(count.value == 4, "transaction 1 may or may not have been in the count")
        let repeated = count.isDue(now: 0.1, foreignVersion: 1)
        #expect(repeated, "at once, not after the minimum gap")
        count.started(now: 0.1, foreignVersion: 1)
        count.finished(count: 2, through: 1)
        #expect(count.value == 2)
        let again = count.isDue(now: 0.2, foreignVersion: 1)
        #expect(!again)
    }

    @Test("a change committed while the count runs is added to its result")
    func duringTheCount() {
        var count = counted(0)
        let due = countsAfterPause(&count, foreignVersion: 2, at: 10)
        #expect(due)
        count.started(now: 15, foreignVersion: 2)
        count.changed(by: -1, committedIn: 6)
        count.changed(by: 2, committedIn: 7)
        #expect(count.isCounting)
        count.finished(count: 10, through: 4)
        #expect(count.value == 11)
        #expect(!count.isCounting)
    }

    @Test("others' commits are counted once they pause for 5 s, or every 60 s while they go on")
    func foreignCommits() {
        var count = counted(0)
        // A producer commits every second from 10 s to 100 s.
        var starts: [Double] = []
        for second in 10...120 {
            let version = Int64(min(second, 100))
            if count.isDue(now: Double(second), foreignVersion: version) {
                starts.append(Double(second))
                count.started(now: Double(second), foreignVersion: version)
                count.finished(count: 0, through: 0)
            }
        }
        #expect(starts == [70, 105], "60 s after the first commit, then 5 s after the last")
    }

    @Test("a failed count is tried again, not sooner than 5 s later; the lane's changes meanwhile are kept")
    func failedCount() {
        var count = counted(4)
        let due = countsAfterPause(&count, foreignVersion: 2, at: 10)
        #expect(due)
        count.started(now: 15, foreignVersion: 2)
        count.changed(by: 1, committedIn: 2)
        count.finished(count: nil)
        #expect(count.value == 5)
        let tooSoon = count.isDue(now: 19, foreignVersion: 2)
        #expect(!tooSoon)
        let retry = count.isDue(now: 20, foreignVersion: 2)
        #expect(retry)
    }
}
