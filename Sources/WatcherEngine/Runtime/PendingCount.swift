/// A lane's count of the rows it watches, kept without reading them all again after every change.
///
/// A full count reads every watched row (~80 ms of CPU at a million), so it runs at start-up and after commits by
/// other connections (a producer's inserts, deletes or edits, which only a count can tell apart), once those pause
/// for `quiet` seconds or at most every `maximumLag` seconds while they go on; never twice within `minimumGap`, except
/// to repeat a count the writer's commits made ambiguous.
/// Between counts the lane's own changes adjust it: rows intake admitted add, final answers and expiries subtract.
/// Each change names the writer's transaction that committed it, numbered as it commits. A count notes the last
/// number just before its read and just after: it saw every transaction up to the first, none after the second.
/// When the two differ it cannot tell whether it saw the ones between, so it keeps the first and counts again at
/// once (at most ``retries`` times in a row; then the next count puts it right).
struct PendingCount {
    /// The rows watched, as far as the lane knows.
    private(set) var value = 0
    /// The last count's result already holds the changes of the writer's transactions up to this one.
    private var countedThrough = 0
    /// While a count runs: the changes the lane heard of meanwhile, with their transactions.
    private var running: [(commit: Int, delta: Int)]?
    private var requested = true
    private var retried = 0
    /// Counts started again at once because the writer committed while one read.
    static let retries = 3
    private var lastStart = -Double.infinity
    /// The foreign version the last count started at, the last one seen, and since when it differs from the first.
    private var foreignCounted: Int64?
    private var foreignSeen: Int64?
    private var foreignChangedSince: Double?
    private var foreignLastMoved = -Double.infinity

    let quiet: Double
    let maximumLag: Double
    let minimumGap: Double

    init(quiet: Double = 5, maximumLag: Double = 60, minimumGap: Double = 5) {
        self.quiet = quiet
        self.maximumLag = maximumLag
        self.minimumGap = minimumGap
    }

    /// True while a count runs.
    var isCounting: Bool { running != nil }

    /// `delta` rows joined (positive) or left (negative) the watched rows in the writer's transaction `commit`.
    mutating func changed(by delta: Int, committedIn commit: Int) {
        guard commit > countedThrough else { return }
        value += delta
        running?.append((commit, delta))
    }

    /// Whether a count should start now; `foreignVersion` is ``WatchStore/foreignVersion``, which moves whenever
    /// another connection commits.
    mutating func isDue(now: Double, foreignVersion: Int64) -> Bool {
        if foreignVersion != foreignSeen {
            foreignSeen = foreignVersion
            foreignLastMoved = now
            if foreignVersion != foreignCounted, foreignChangedSince == nil { foreignChangedSince = now }
        }
        guard running == nil else { return false }
        if requested, retried > 0 { return true }
        guard now - lastStart >= minimumGap else { return false }
        if requested { return true }
        guard let since = foreignChangedSince else { return false }
        return now - foreignLastMoved >= quiet || now - since >= maximumLag
    }

    /// A count starts, with others' commits as of `foreignVersion`.
    mutating func started(now: Double, foreignVersion: Int64) {
        requested = false
        lastStart = now
        foreignCounted = foreignVersion
        foreignChangedSince = foreignSeen == foreignVersion ? nil : now
        running = []
    }

    /// The count ended with `count` rows, having seen every transaction of the writer up to `through` and none
    /// after `seenAtMost` (by default the same), or failed (nil: the next turn asks for another).
    mutating func finished(count: Int?, through: Int = 0, seenAtMost: Int? = nil) {
        guard let changes = running else { return }
        running = nil
        guard let count else {
            requested = true
            return
        }
        value = count + changes.reduce(0) { $0 + ($1.commit > through ? $1.delta : 0) }
        countedThrough = max(countedThrough, through)
        let isAmbiguous = (seenAtMost ?? through) > through
        if isAmbiguous, retried < Self.retries {
            retried += 1
            requested = true
        } else {
            retried = 0
        }
    }
}
