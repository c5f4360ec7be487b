import Foundation
import WatcherLog
import WatcherSQLite

extension StatusReport {
    /// The oldest final row of one resource.
    package struct OldestFinal: Codable, Sendable, Equatable {
        /// The resource.
        package var resource: String
        /// Its `completed_at`.
        package var completedAt: String
        /// Seconds since then.
        package var ageSeconds: Double?
    }

    /// What decides whether retention is needed and working: the file, its free pages, the oldest final rows.
    mutating func addRetentionFigures(tables: [ResourceTable], connection: SQLiteConnection, now: Date) throws {
        storage = try StorageFigures.read(connection)
        for table in tables {
            guard let completed = try Retention.oldestFinal(table, on: connection) else { continue }
            oldestFinal.append(
                OldestFinal(
                    resource: table.resource,
                    completedAt: completed,
                    ageSeconds: Timestamp.parse(completed).map { now.timeIntervalSince($0).rounded() }
                )
            )
        }
    }
}
