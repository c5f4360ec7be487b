import Foundation
import WatcherConfig
import WatcherEngine
import WatcherLog
import WatcherSQLite
import WatcherStore

extension Setup {
    /// The pruner the configuration's `retention` asks for, on its own connection; nil when it keeps everything.
    static func pruner(
        _ configuration: WatcherConfiguration, clock: any WatcherClock = SystemClock(), logger: Logger
    ) throws(CLIError) -> RetentionPruner? {
        let policy = RetentionPolicy(
            finalRowDays: configuration.retention.finalRowDays,
            transitionDays: configuration.retention.transitionDays)
        guard !policy.keepsEverything else { return nil }
        do {
            let store = try RetentionStore(path: configuration.database)
            return RetentionPruner(
                store: store, tables: kinds.map(\.table), policy: policy, clock: clock, logger: logger)
        } catch {
            throw .runtime("cannot open database \(configuration.database) for retention: \(error)")
        }
    }

    /// The warning to give before migrating `path`, when the migration will rewrite a large file (switching it to
    /// incremental auto-vacuum); nil when it will not.
    static func rewriteNotice(_ path: String) -> String? {
        guard let connection = try? SQLiteConnection(path: path, mode: .readOnly) else { return nil }
        defer { connection.close() }
        guard (try? Retention.needsRewrite(connection)) == true,
            let tables = try? connection.scalar("SELECT count(*) FROM sqlite_schema").int64Value, tables > 0,
            let figures = try? StorageFigures.read(connection)
        else { return nil }
        return "upgrading \(path) to incremental auto-vacuum rewrites the file once (VACUUM, "
            + "\(figures.fileBytes / 1_048_576) MB): producers wait for it, and it needs as much free disk space again"
    }
}
