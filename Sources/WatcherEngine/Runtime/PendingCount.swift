/// A lane's count of the rows it watches, kept without reading them all again after every change.
///
/// A full count reads every watched row (~80 ms of CPU at a million), so it runs at start-up and after commits by
/// other connections (a producer's inserts, deletes or edits, which only a count can tell apart), once those pause
/// for `quiet` seconds or at most every `maximumLag` seconds while they go on; never twice within `minimumGap`.
/// Between counts the lane's own changes adjust it: rows intake admitted add, final answers and expiries subtract.
/// Each change names the writer's transaction that committed it, and a count sees every transaction up to the one
/// committed when it started, so no change is counted twice. (A transaction committed in the instant between that
/// number being read and the count's first read may be: the next count puts it right.)
struct PendingCount {
    /// The rows watched, as far as the lane knows.
    private(set) var value = 0
    /// The last count's result already holds the changes of the writer's transactions up to this one.
    private var countedThrough = 0
    /// While a count runs: the transaction it reads through, and the changes committed after that one.
    private var running: (through: Int, changes: Int)?
    private var requested = true
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
        if let through = running?.through, commit > through { running?.changes += delta }
    }

    /// Whether a count should start now; `foreignVersion` is ``WatchStore/foreignVersion``, which moves whenever
    /// another connection commits.
    mutating func isDue(now: Double, foreignVersion: Int64) -> Bool {
        if foreignVersion != foreignSeen {
            foreignSeen = foreignVersion
            foreignLastMoved = now
            if foreignVersion != foreignCounted, foreignChangedSince == nil { foreignChangedSince = now }
        }
        guard running == nil, now - lastStart >= minimumGap else { return false }
        if requested { return true }
        guard let since = foreignChangedSince else { return false }
        return now - foreignLastMoved >= quiet || now - since >= maximumLag
    }

    /// A count starts, reading every transaction of the writer up to `through`, with others' commits as of
    /// `foreignVersion`.
    mutating func started(now: Double, through: Int, foreignVersion: Int64) {
        requested = false
        lastStart = now
        foreignCounted = foreignVersion
        foreignChangedSince = foreignSeen == foreignVersion ? nil : now
        running = (through, 0)
    }

    /// The count ended with `count` rows, or failed (nil: the next turn asks for another).
    mutating func finished(count: Int?) {
        guard let (through, changes) = running else { return }
        running = nil
        guard let count else {
            requested = true
            return
        }
        value = count + changes
        countedThrough = max(countedThrough, through)
    }
}
