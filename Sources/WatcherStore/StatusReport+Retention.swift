import Foundation
import WatcherSQLite

extension StatusReport {
    /// The oldest final row of one resource.
    public struct OldestFinal: Codable, Sendable, Equatable {
        /// The resource.
        public var resource: String
        /// Its `completed_at`.
        public var completedAt: String
        /// Seconds since then.
        public var ageSeconds: Double?
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
