import WatcherEngine
import WatcherStore

/// The `image_generation_tasks` table: its columns, the indexes the queue asks through, and its history.
extension ImageGenerationTaskKind {
    /// Where the tasks live and which columns matter.
    package static let table = ResourceTable(
        resource: "image_generation_task",
        table: "image_generation_tasks",
        idColumn: "task_id",
        parameterColumns: ["image_generation_type"],
        resultColumns: ["image_url"],
        activeStates: [LocalState.pending, "PROCESSING"],
        indexes: QueueIndexes(
            due: "image_generation_tasks_due",
            new: "image_generation_tasks_new",
            deadline: "image_generation_tasks_deadline",
            byState: "image_generation_tasks_state",
            oldest: "image_generation_tasks_oldest"
        )
    )

    /// The table and its migrations, oldest first; each says where the one shared list of older releases had it.
    package static let schema = KindSchema(
        table: table,
        migrations: [
            Migration(version: 1, summary: "image generation tasks", sql: createTable, sharedVersion: 1),
            Migration(
                version: 2, summary: "oldest unfinished task per merchant",
                sql: table.indexes.createOldestSQL(table: table.table, activeStates: table.activeStates),
                sharedVersion: 3),
        ]
    )

    /// The contract columns, then the bookkeeping.
    private static let createTable = """
        CREATE TABLE image_generation_tasks (
          merchant_id TEXT NOT NULL,
          task_id TEXT NOT NULL,
          brand_id TEXT NOT NULL,
          image_generation_type TEXT NOT NULL,
          state TEXT NOT NULL DEFAULT 'PENDING',
          image_url TEXT,
          error TEXT,
          created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
          updated_at TEXT,
          completed_at TEXT,
        \(Schema.bookkeepingColumns),
          PRIMARY KEY (merchant_id, task_id)
        );
        \(table.indexes.createSQL(table: table.table, activeStates: table.activeStates))
        """
}
