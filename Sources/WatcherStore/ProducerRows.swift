import Foundation
import WatcherSQLite

/// What became of one row offered to ``WatchStore/insertAsProducer(_:into:)``.
package enum ProducerInsert: Sendable, Equatable {
    /// Inserted, `PENDING`, for intake to find.
    case inserted
    /// A row with the same merchant and id is already there, in this state; nothing was written.
    case duplicate(state: String)
}

/// A row as the demo shows it at the end: its inputs, where it ended and how it got there.
package struct RowOutcome: Sendable, Equatable {
    /// The row; its polling history is not read.
    package var row: QueuedRow
    /// The states it went through after `PENDING`, in order.
    package var transitions: [String]
    /// Its result columns that are not NULL, as text.
    package var results: [String: String]
    /// The `error` column.
    package var error: String?
}

extension ResourceTable {
    /// The INSERT a producer runs: the identifying columns only, every other column left to its default.
    package var producerInsertSQL: String {
        let columns = ["merchant_id", idColumn, "brand_id"] + parameterColumns
        let placeholders = columns.map { _ in "?" }.joined(separator: ", ")
        return "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders))"
    }

    /// The values of ``producerInsertSQL`` for `row`; a parameter it lacks is inserted as empty text.
    func producerValues(_ row: QueuedRow) -> [SQLiteValue] {
        [.text(row.merchantID), .text(row.resourceID), .text(row.brandID)]
            + parameterColumns.map { .text(row.parameters[$0] ?? "") }
    }
}

extension WatchStore {
    /// Inserts `rows` as a producer would, in one transaction; a row already queued is reported, not replaced.
    package func insertAsProducer(_ rows: [QueuedRow], into table: ResourceTable) async throws -> [ProducerInsert] {
        let existing = "SELECT state FROM \(table.table) WHERE merchant_id = ? AND \(table.idColumn) = ?"
        return try await performWrite { connection in
            try connection.transaction {
                try rows.map { row in
                    do throws(SQLiteError) {
                        try connection.run(table.producerInsertSQL, table.producerValues(row))
                        return .inserted
                    } catch {
                        guard error.isConstraint else { throw error }
                        let state = try connection.scalar(existing, [.text(row.merchantID), .text(row.resourceID)])
                        return .duplicate(state: state.stringValue ?? "?")
                    }
                }
            }
        }
    }

    /// How many rows of `table` are in each state.
    package func stateCounts(_ table: ResourceTable) async throws -> [String: Int] {
        try await performRead { connection in
            var counts: [String: Int] = [:]
            for row in try connection.query("SELECT state, count(*) AS rows FROM \(table.table) GROUP BY state") {
                counts[row["state"].stringValue ?? "", default: 0] += Int(row["rows"].int64Value ?? 0)
            }
            return counts
        }
    }

    /// Every row of `table` with its transitions, results and error, by merchant and id.
    package func outcomes(_ table: ResourceTable) async throws -> [RowOutcome] {
        let columns =
            (["merchant_id", table.idColumn, "brand_id", "state", "error"] + table.parameterColumns
            + table.resultColumns).joined(separator: ", ")
        let sql = """
            SELECT \(columns), (SELECT group_concat(to_state, ' ') FROM
              (SELECT to_state FROM state_transitions s WHERE s.resource = ? AND s.merchant_id = t.merchant_id
                AND s.resource_id = t.\(table.idColumn) ORDER BY s.id)) AS transitions
            FROM \(table.table) t ORDER BY merchant_id, \(table.idColumn)
            """
        return try await performRead { connection in
            try connection.query(sql, [.text(table.resource)]).map { row in
                var parameters: [String: String] = [:]
                for column in table.parameterColumns { parameters[column] = row[column].stringValue }
                var results: [String: String] = [:]
                for column in table.resultColumns { results[column] = row[column].stringValue }
                return RowOutcome(
                    row: QueuedRow(
                        rowID: 0, merchantID: row["merchant_id"].stringValue ?? "",
                        resourceID: row[table.idColumn].stringValue ?? "", brandID: row["brand_id"].stringValue ?? "",
                        parameters: parameters, state: row["state"].stringValue ?? ""),
                    transitions: (row["transitions"].stringValue ?? "").split(separator: " ").map(String.init),
                    results: results,
                    error: row["error"].stringValue
                )
            }
        }
    }
}
