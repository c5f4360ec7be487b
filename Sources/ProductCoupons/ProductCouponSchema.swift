import WatcherEngine
import WatcherStore

/// The `product_coupons` table: its columns, the indexes the queue asks through, and its history.
extension ProductCouponKind {
    /// Where the coupons live and which columns matter.
    package static let table = ResourceTable(
        resource: "product_coupon",
        table: "product_coupons",
        idColumn: "product_coupon_id",
        parameterColumns: [],
        resultColumns: [
            "coupon_json", "coupon_name", "coupon_type", "coupon_scope", "deactivate_time", "deactivate_reason",
        ],
        activeStates: [LocalState.pending, ProductCouponAnswer.CouponState.auditing.rawValue],
        indexes: QueueIndexes(
            due: "product_coupons_due",
            new: "product_coupons_new",
            deadline: "product_coupons_deadline",
            byState: "product_coupons_state",
            oldest: "product_coupons_oldest"
        )
    )

    /// The table and its migrations, oldest first; each says where the one shared list of older releases had it.
    package static let schema = KindSchema(
        table: table,
        migrations: [
            Migration(version: 1, summary: "product coupons", sql: createTable, sharedVersion: 2),
            Migration(
                version: 2, summary: "oldest unfinished coupon per merchant",
                sql: table.indexes.createOldestSQL(table: table.table, activeStates: table.activeStates),
                sharedVersion: 3),
        ]
    )

    /// The contract columns, then the columns operators query, then the bookkeeping.
    private static let createTable = """
        CREATE TABLE product_coupons (
          merchant_id TEXT NOT NULL,
          product_coupon_id TEXT NOT NULL,
          brand_id TEXT NOT NULL,
          state TEXT NOT NULL DEFAULT 'PENDING',
          coupon_json TEXT,
          error TEXT,
          created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
          updated_at TEXT,
          completed_at TEXT,
          coupon_name TEXT,
          coupon_type TEXT,
          coupon_scope TEXT,
          deactivate_time TEXT,
          deactivate_reason TEXT,
        \(Schema.bookkeepingColumns),
          PRIMARY KEY (merchant_id, product_coupon_id)
        );
        \(table.indexes.createSQL(table: table.table, activeStates: table.activeStates))
        """
}
