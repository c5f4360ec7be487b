/// How long intake sleeps after each check for new rows.
///
/// The write watch reports a commit's first `write(2)` to the `-wal` file, but the commit becomes visible only
/// after its last write (and, for a producer on `synchronous = FULL`, its fsync), which nothing reports: a check
/// woken by the first write often finds the data version unchanged. Measured at a million rows, most new rows
/// waited for the next timed check, 100 ms later. So after write events that a check could not explain, intake
/// looks again at once and then less and less often (2, 4, 8 … ms, until `interval` has passed): a commit in
/// flight is seen within about twice the time it took.
struct IntakePacing {
    /// The pause after a check that saw the data version move; the longest quick re-check.
    let interval: Double
    /// The pause when nothing was written since the last check.
    let idleInterval: Double
    /// The first quick re-check after unexplained writes.
    let firstRecheck: Double
    /// While writes are unexplained: the next quick re-check's pause, and how long the re-checks so far slept.
    private var recheck: (next: Double, covered: Double)?

    init(interval: Double, idleInterval: Double, firstRecheck: Double = 0.002) {
        self.interval = interval
        self.idleInterval = max(interval, idleInterval)
        self.firstRecheck = min(firstRecheck, interval)
    }

    /// The pause after a check.
    ///
    /// - Parameters:
    ///   - newWrites: writes were reported since the previous check began.
    ///   - versionMoved: this check saw the data version move (another connection committed).
    ///   - watched: the write watch is armed; without it writes go unreported, and intake polls at `interval`.
    mutating func pause(newWrites: Bool, versionMoved: Bool, watched: Bool) -> Double {
        guard watched else {
            recheck = nil
            return interval
        }
        if versionMoved {
            // Explained; one more look `interval` on catches a second commit reported in the same batch of writes.
            let afterWrites = newWrites || recheck != nil
            recheck = nil
            return afterWrites ? interval : idleInterval
        }
        if newWrites {
            recheck = (firstRecheck * 2, firstRecheck)
            return firstRecheck
        }
        guard let (next, covered) = recheck, covered < interval else {
            recheck = nil
            return idleInterval
        }
        // Together the quick re-checks cover `interval` after the write, as one timed look used to.
        let pause = min(next, interval - covered)
        recheck = (next * 2, covered + pause)
        return pause
    }
}
