import WatcherEngine
import WatcherStore

/// The third kind's table and its history: two steps, as a kind that later added a result column would have.
extension ReportKind {
    static let table = ResourceTable(
        resource: "report",
        table: "reports",
        idColumn: "report_id",
        parameterColumns: [],
        resultColumns: ["report_url"],
        activeStates: [LocalState.pending, "RUNNING"],
        indexes: QueueIndexes(
            due: "reports_due", new: "reports_new", deadline: "reports_deadline", byState: "reports_state",
            oldest: "reports_oldest")
    )

    static let schema = KindSchema(
        table: table,
        migrations: [
            Migration(
                version: 1, summary: "reports",
                sql: """
                    CREATE TABLE reports (
                      merchant_id TEXT NOT NULL,
                      report_id TEXT NOT NULL,
                      brand_id TEXT NOT NULL,
                      state TEXT NOT NULL DEFAULT 'PENDING',
                      error TEXT,
                      created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
                      updated_at TEXT,
                      completed_at TEXT,
                    \(Schema.bookkeepingColumns),
                      PRIMARY KEY (merchant_id, report_id)
                    );
                    \(table.indexes.createSQL(table: table.table, activeStates: table.activeStates))
                    \(table.indexes.createOldestSQL(table: table.table, activeStates: table.activeStates))
                    """),
            Migration(version: 2, summary: "report URL", sql: "ALTER TABLE reports ADD COLUMN report_url TEXT;"),
        ]
    )
}
