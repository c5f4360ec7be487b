import WatcherSQLite
import WatcherStore

/// `migrate --config FILE`: bring the schema up to date and exit.
enum MigrateCommand: Command {
    static let name = "migrate"
    static let summary = "Create or upgrade the database schema, then exit. Safe to run any number of times."
    static let usage = "migrate --config FILE"
    static let options: [Arguments.Option] = [
        .init(name: "config", takesValue: true, help: "the configuration file (JSON)", valueName: "FILE")
    ]

    static func run(_ arguments: Arguments) async throws(CLIError) -> Int32 {
        let configuration = try Setup.configuration(try arguments.required("config")).configuration
        let before: Int
        do {
            let connection = try SQLiteConnection(path: configuration.database)
            defer { connection.close() }
            before = try Migrator.userVersion(connection)
        } catch {
            let cause = Setup.storageProblem(configuration.database).map { " (\($0))" } ?? ""
            throw .runtime("cannot open database \(configuration.database): \(error)\(cause)")
        }
        if let notice = Setup.rewriteNotice(configuration.database) { Output.line(notice) }
        let store = try Setup.store(configuration.database)
        store.close()
        for index in store.restoredIndexes {
            Output.line("the index \(index) was missing (dropped by another connection) and was built again")
        }
        if before == Schema.currentVersion {
            Output.line("database \(configuration.database) is up to date (schema version \(before))")
        } else {
            Output.line(
                "database \(configuration.database) migrated from schema version \(before) to \(Schema.currentVersion)")
        }
        return 0
    }
}
