/// Durations as system calls and clocks counted in seconds take them: one conversion each, for every module.
extension Duration {
    /// Whole milliseconds for `poll(2)`, rounded up so a wait never ends before its deadline, capped at `Int32.max`.
    package var pollMilliseconds: Int32 {
        guard self > .zero else { return 0 }
        let (seconds, attoseconds) = components
        let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000
        let partial = (attoseconds + attosecondsPerMillisecond - 1) / attosecondsPerMillisecond
        let total = seconds.multipliedReportingOverflow(by: 1_000)
        guard !total.overflow else { return Int32.max }
        return Int32(clamping: total.partialValue + partial)
    }

    /// Seconds as a `Double`, for `Thread.sleep(forTimeInterval:)` and clocks that count in seconds.
    package var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
