import Foundation
import WatcherEngine
import WatcherSQLite
import WatcherStore

/// `wait …`: block until one row is final, for producers' shell scripts. Reads the database only.
enum WaitCommand: Command {
    static let name = "wait"
    static let summary = "Wait until one task or product coupon is final; print its state and result."
    static let usage = """
        wait --config FILE --merchant MCHID TASK_ID [--timeout SECONDS] [--json]
               wait --config FILE --merchant MCHID --product-coupon PRODUCT_COUPON_ID [--timeout SECONDS] [--json]
        """
    static let discussion = """
        Reads the database the daemon writes (it never calls WeChat Pay) and returns once the row leaves
        PENDING/PROCESSING/AUDITING. Exit status: 0 SUCCESS or EFFECTIVE, 3 FAIL or DEACTIVATED, 4 REJECTED or
        EXPIRED, 5 still unfinished at --timeout, 1 no such row, a state the daemon does not write, or an unreadable
        database, 2 bad usage.
        """
    static let takesOperands = true
    static let options: [Arguments.Option] = [
        .init(name: "config", takesValue: true, help: "the configuration file (JSON)", valueName: "FILE"),
        .init(name: "merchant", takesValue: true, help: "the merchant id (mchid)", valueName: "MCHID"),
        .init(
            name: "product-coupon", takesValue: true, help: "wait for a product coupon instead of a task",
            valueName: "ID"),
        .init(
            name: "timeout", takesValue: true, help: "give up after this many seconds (exit 5); default: no limit",
            valueName: "SECONDS"),
        .init(name: "json", takesValue: false, help: "print one JSON object instead of text"),
    ]

    /// The exit status a script sees for each final state the daemon writes.
    static let exitStatuses: [String: Int32] = [
        "SUCCESS": 0, "EFFECTIVE": 0, "FAIL": 3, "DEACTIVATED": 3, LocalState.rejected: 4, LocalState.expired: 4,
    ]
    /// The exit status when the row is still unfinished at the timeout.
    static let timedOutStatus: Int32 = 5

    /// How often the database's `PRAGMA data_version` is checked for another connection's commit.
    static let pollInterval: Duration = .milliseconds(100)

    static func run(_ arguments: Arguments) async throws(CLIError) -> Int32 {
        let configuration = try Setup.configuration(try arguments.required("config")).configuration
        let merchant = try arguments.required("merchant")
        let (kind, id) = try NamedRow.parse(arguments)
        let timeout = try timeoutOption(arguments)
        let database = configuration.database
        let deadline = timeout.map { ContinuousClock.now + .milliseconds(Int64($0 * 1000)) }
        let connection = try Setup.readOnlyDatabase(database)
        defer { connection.close() }
        let row: WaitedRow
        do {
            row = try await waitForFinal(
                table: kind.table, merchant: merchant, id: id, connection: connection, deadline: deadline)
        } catch let error as CLIError {
            throw error
        } catch {
            throw .runtime("cannot read database \(database): \(error)")
        }
        if row.isFinal, exitStatuses[row.state] == nil {
            // Not a state anyone writes but a producer by hand: the daemon neither watches nor finished the row.
            throw .runtime(
                "\(kind.table.resource) \(id) of merchant \(merchant) has state \(row.state.debugDescription), which the "
                    + "daemon neither watches nor writes (it watches \(kind.table.activeStates.joined(separator: ", "))): "
                    + "insert rows without a state, or with PENDING")
        }
        Output.line(arguments.flag("json") ? row.json : row.text)
        if !row.isFinal { return timedOutStatus }
        return exitStatuses[row.state] ?? 4
    }

    /// `--timeout`: a positive number of seconds, or nil for no limit.
    static func timeoutOption(_ arguments: Arguments) throws(CLIError) -> Double? {
        guard let text = arguments.value("timeout") else { return nil }
        // At most about 31 years: the deadline is counted in milliseconds of a 64-bit clock.
        guard let seconds = Double(text), seconds.isFinite, seconds > 0, seconds <= 1e9 else {
            throw .usage("--timeout must be a positive number of seconds up to 1e9, got \(text.debugDescription)")
        }
        return seconds
    }

    /// Reads the row until it is final or `deadline` passes; between reads, waits for another connection's commit.
    static func waitForFinal(
        table: ResourceTable, merchant: String, id: String, connection: SQLiteConnection,
        deadline: ContinuousClock.Instant?
    ) async throws -> WaitedRow {
        var seenVersion: Int64?
        var latest: WaitedRow?
        let identity = DatabaseFileIdentity(path: connection.path)
        while true {
            // A database deleted or replaced meanwhile would keep this connection reading a file nobody writes.
            if let problem = identity?.problem(path: connection.path, holder: "wait") {
                throw CLIError.runtime(problem)
            }
            let version = try connection.dataVersion()
            if version != seenVersion || latest == nil {
                seenVersion = version
                guard let row = try read(table: table, merchant: merchant, id: id, connection: connection) else {
                    throw CLIError.runtime(
                        "no \(table.resource) with \(table.idColumn) \(id) of merchant \(merchant) in \(connection.path) "
                            + "(enqueue it first; merchant and id are case-sensitive)")
                }
                if row.isFinal { return row }
                latest = row
            }
            if let deadline, let latest, ContinuousClock.now >= deadline { return latest }
            try await Task.sleep(for: pollInterval)
        }
    }

    /// The row's state, error and result columns, or nil when there is no such row.
    static func read(table: ResourceTable, merchant: String, id: String, connection: SQLiteConnection) throws
        -> WaitedRow?
    {
        let columns = ["state", "error", "completed_at"] + table.resultColumns
        let sql =
            "SELECT \(columns.joined(separator: ", ")) FROM \(table.table) WHERE merchant_id = ? AND \(table.idColumn) = ?"
        guard let values = try connection.query(sql, [.text(merchant), .text(id)]).first else { return nil }
        let state = values[0].stringValue ?? ""
        var results: [String: String] = [:]
        for (index, column) in table.resultColumns.enumerated() {
            if let value = values[3 + index].stringValue { results[column] = value }
        }
        return WaitedRow(
            resource: table.resource, merchantID: merchant, id: id, state: state,
            isFinal: !table.activeStates.contains(state), error: values[1].stringValue,
            completedAt: values[2].stringValue, results: results)
    }
}

/// One row as `wait` reports it.
struct WaitedRow: Encodable {
    var resource: String
    var merchantID: String
    var id: String
    var state: String
    var isFinal: Bool
    var error: String?
    var completedAt: String?
    var results: [String: String]

    enum CodingKeys: String, CodingKey {
        case resource, id, state, error, results
        case merchantID = "merchant_id"
        case isFinal = "final"
        case completedAt = "completed_at"
    }

    /// `image_generation_task task_0001 of merchant 1900000001: SUCCESS`, then one `column: value` line each.
    var text: String {
        var lines = ["\(resource) \(id) of merchant \(merchantID): \(state)\(isFinal ? "" : " (not final yet)")"]
        if let completedAt { lines.append("completed_at: \(completedAt)") }
        if let error { lines.append("error: \(error)") }
        for (column, value) in results.sorted(by: { $0.key < $1.key }) { lines.append("\(column): \(value)") }
        return lines.joined(separator: "\n")
    }

    /// One JSON object with sorted keys.
    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
