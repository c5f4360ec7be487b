import WatcherStore

extension StatusCommand {
    /// `file: 412.0 MB (+ 3.9 MB write-ahead log), 1024 free pages of 4096 bytes, auto-vacuum incremental` and the
    /// oldest final row per resource, with its age.
    static func renderRetentionFigures(_ report: StatusReport) -> [String] {
        var lines: [String] = []
        if let storage = report.storage {
            lines.append(
                "file: \(PruneCommand.megabytes(storage.fileBytes)) (+ \(PruneCommand.megabytes(storage.walBytes)) "
                    + "write-ahead log), \(storage.freePages) free pages of \(storage.pageSize) bytes, "
                    + "auto-vacuum \(storage.autoVacuum)")
        }
        for oldest in report.oldestFinal {
            let age = oldest.ageSeconds.map { " (\(days($0)) ago)" } ?? ""
            lines.append("oldest final \(oldest.resource): completed \(oldest.completedAt)\(age)")
        }
        return lines
    }

    /// `3.2 days`, or seconds below a day's hundredth.
    private static func days(_ seconds: Double) -> String {
        seconds < 864 ? "\(Int(seconds)) s" : String(format: "%.2f days", seconds / 86_400)
    }
}
