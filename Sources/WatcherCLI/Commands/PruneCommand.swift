import Foundation
import WatcherEngine
import WatcherLog
import WatcherStore

/// `prune --config FILE [--dry-run]`: one retention pass by hand.
enum PruneCommand: Command {
    static let name = "prune"
    static let summary = "Delete final rows and history older than the configured retention, once."
    static let usage = "prune --config FILE [--dry-run]"
    static let discussion = """
        Does what the daemon does every 10 minutes when retention.final_row_days or retention.transition_days is
        set: deletes rows final for longer than final_row_days with their state_transitions, and transitions
        older than transition_days, in small transactions with pauses between them (safe while the daemon and
        producers run), then returns the freed pages to the file system. The pass is logged as retention.pruned in
        the configured log. --dry-run deletes nothing and says what would go.
        """
    static let options: [Arguments.Option] = [
        .init(name: "config", takesValue: true, help: "the configuration file (JSON)", valueName: "FILE"),
        .init(name: "dry-run", takesValue: false, help: "count what would be deleted; delete nothing"),
    ]

    static func run(_ arguments: Arguments) async throws(CLIError) -> Int32 {
        let configuration = try Setup.configuration(try arguments.required("config")).configuration
        let dryRun = arguments.flag("dry-run")
        guard FileManager.default.fileExists(atPath: configuration.database) else {
            throw .runtime("database \(configuration.database) does not exist yet; there is nothing to prune")
        }
        if !dryRun {
            if let notice = Setup.rewriteNotice(configuration.database) { Output.line(notice) }
            try Setup.store(configuration.database).close()
        }
        let logger = Logger(sink: try Setup.logOutput(configuration))
        guard let pruner = try Setup.pruner(configuration, logger: logger) else {
            Output.line(
                "retention.final_row_days and retention.transition_days are 0 (keep forever) in "
                    + "\(configuration.configFile): nothing to prune")
            return 0
        }
        defer { pruner.close() }
        let pass: PrunePass
        do {
            pass = try await pruner.pass(dryRun: dryRun)
        } catch {
            throw .runtime("pruning \(configuration.database) failed: \(error)")
        }
        Output.line(describe(pass, dryRun: dryRun, tables: Setup.kinds.map(\.table)))
        return 0
    }

    static func describe(_ pass: PrunePass, dryRun: Bool, tables: [ResourceTable]) -> String {
        let perTable = tables.map { "\($0.resource) \(pass.counts.rows[$0.resource] ?? 0)" }.joined(separator: ", ")
        let removed =
            "\(pass.counts.totalRows) rows (\(perTable)) and \(pass.counts.transitions) transitions"
        guard !dryRun else { return "would remove \(removed)" }
        var text = "removed \(removed) in \(String(format: "%.1f", pass.seconds)) s"
        if let storage = pass.storage {
            text += "; returned \(pass.freedPages) free pages (\(megabytes(pass.freedPages * storage.pageSize)))"
            text += " to the file system; the file is now \(megabytes(storage.fileBytes))"
        }
        return text
    }

    static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_048_576) }
}
