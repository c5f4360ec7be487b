import Foundation
import WatcherSQLite

/// The pruner's own connection to the queue, on its own serial queue: a batch waiting for a producer's lock never
/// holds up the scheduler's reads or the writer's commits, and its reads never run on the cooperative pool.
package final class RetentionStore: Sendable {
    private let database: SerialDatabase

    /// Opens the (already migrated) database.
    package init(path: String, busyTimeoutMilliseconds: Int32 = 5_000) throws {
        database = try SerialDatabase(path: path, mode: .readWrite(create: false), label: "sqlite.retention") {
            connection in
            connection.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
            // As on the writer: without it every batch's commit waits for an fsync of the log while holding the
            // lock, and a producer waits for the disk instead of a few milliseconds of deleting.
            try connection.execute("PRAGMA synchronous = NORMAL")
            try connection.execute(WatchStore.walSizeLimit)
        }
    }

    /// Closes the connection.
    package func close() { database.close() }

    /// See ``Retention/expiredRows(_:before:after:limit:on:)``.
    package func expiredRows(_ table: ResourceTable, before cutoff: Date, after rowID: Int64, limit: Int)
        async throws -> [ExpiredRow]
    {
        try await database.perform {
            try Retention.expiredRows(table, before: cutoff, after: rowID, limit: limit, on: $0)
        }
    }

    /// See ``Retention/delete(_:of:before:on:)``.
    package func delete(_ rows: [ExpiredRow], of table: ResourceTable, before cutoff: Date) async throws -> PruneCounts
    {
        try await database.perform { try Retention.delete(rows, of: table, before: cutoff, on: $0) }
    }

    /// See ``Retention/transitionCount(of:of:above:on:)``.
    package func transitionCount(of rows: [ExpiredRow], of table: ResourceTable, above id: Int64) async throws -> Int {
        try await database.perform { try Retention.transitionCount(of: rows, of: table, above: id, on: $0) }
    }

    /// See ``Retention/oldTransitions(before:after:limit:on:)``.
    package func oldTransitions(before cutoff: Date, after id: Int64, limit: Int) async throws -> TransitionBatch? {
        try await database.perform { try Retention.oldTransitions(before: cutoff, after: id, limit: limit, on: $0) }
    }

    /// See ``Retention/deleteTransitions(_:on:)``.
    package func deleteTransitions(_ batch: TransitionBatch) async throws -> Int {
        try await database.perform { try Retention.deleteTransitions(batch, on: $0) }
    }

    /// See ``Retention/vacuumStep(pages:on:)``.
    package func vacuumStep(pages: Int) async throws {
        try await database.perform { try Retention.vacuumStep(pages: pages, on: $0) }
    }

    /// See ``Retention/checkpoint(on:)``.
    package func checkpoint() async throws {
        try await database.perform { try Retention.checkpoint(on: $0) }
    }

    /// The file's size and free pages.
    package func storage() async throws -> StorageFigures {
        try await database.perform { try StorageFigures.read($0) }
    }
}
