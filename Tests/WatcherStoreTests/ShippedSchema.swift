import WatcherSQLite

/// The schema as released programs left a database, frozen here as they shipped, when one list of migrations
/// built every table and `PRAGMA user_version` counted it: upgrade tests start from these, not from today's code.
enum ShippedSchema {
    /// Version 1: image tasks, transitions, activity.
    static let version1 = """
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
          next_poll_at REAL,
          poll_count INTEGER NOT NULL DEFAULT 0,
          last_polled_at REAL,
          first_seen_at REAL,
          failure_count INTEGER NOT NULL DEFAULT 0,
          not_found_since REAL,
          PRIMARY KEY (merchant_id, task_id)
        );
        CREATE INDEX image_generation_tasks_due ON image_generation_tasks (merchant_id, next_poll_at) WHERE state IN ('PENDING', 'PROCESSING');
        CREATE INDEX image_generation_tasks_new ON image_generation_tasks (merchant_id) WHERE state = 'PENDING' AND next_poll_at IS NULL;
        CREATE INDEX image_generation_tasks_deadline ON image_generation_tasks (created_at) WHERE state IN ('PENDING', 'PROCESSING');
        CREATE INDEX image_generation_tasks_state ON image_generation_tasks (merchant_id, state);
        CREATE TABLE state_transitions (
          id INTEGER PRIMARY KEY,
          resource TEXT NOT NULL,
          merchant_id TEXT NOT NULL,
          resource_id TEXT NOT NULL,
          from_state TEXT NOT NULL,
          to_state TEXT NOT NULL,
          at TEXT NOT NULL,
          detail TEXT
        );
        CREATE INDEX state_transitions_resource ON state_transitions (resource, merchant_id, resource_id);
        CREATE TABLE watcher_activity (
          minute TEXT NOT NULL,                  -- e.g. 2026-11-22T08:01Z
          merchant_id TEXT NOT NULL,
          api TEXT NOT NULL,
          requests INTEGER NOT NULL DEFAULT 0,
          throttled INTEGER NOT NULL DEFAULT 0,
          failures INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (minute, merchant_id, api)
        ) WITHOUT ROWID;
        CREATE TABLE watcher_events (
          id INTEGER PRIMARY KEY,
          at TEXT NOT NULL,
          level TEXT NOT NULL,
          event TEXT NOT NULL,
          merchant_id TEXT,
          message TEXT NOT NULL
        );
        CREATE TABLE watcher_process (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          pid INTEGER NOT NULL,
          hostname TEXT NOT NULL,
          version TEXT NOT NULL,
          started_at TEXT NOT NULL,
          heartbeat_at TEXT NOT NULL,
          stopped_at TEXT,
          status TEXT
        );
        """

    /// Version 2 added product coupons.
    static let version2 = """
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
          next_poll_at REAL,
          poll_count INTEGER NOT NULL DEFAULT 0,
          last_polled_at REAL,
          first_seen_at REAL,
          failure_count INTEGER NOT NULL DEFAULT 0,
          not_found_since REAL,
          PRIMARY KEY (merchant_id, product_coupon_id)
        );
        CREATE INDEX product_coupons_due ON product_coupons (merchant_id, next_poll_at) WHERE state IN ('PENDING', 'AUDITING');
        CREATE INDEX product_coupons_new ON product_coupons (merchant_id) WHERE state = 'PENDING' AND next_poll_at IS NULL;
        CREATE INDEX product_coupons_deadline ON product_coupons (created_at) WHERE state IN ('PENDING', 'AUDITING');
        CREATE INDEX product_coupons_state ON product_coupons (merchant_id, state);
        """

    /// Version 3 added the oldest-unfinished indexes.
    static let version3 = """
        CREATE INDEX image_generation_tasks_oldest ON image_generation_tasks (merchant_id, created_at) WHERE state IN ('PENDING', 'PROCESSING');
        CREATE INDEX product_coupons_oldest ON product_coupons (merchant_id, created_at) WHERE state IN ('PENDING', 'AUDITING');
        """

    /// Builds, in WAL mode, a database exactly as the release that had schema `version` (1 to 4) left it.
    static func database(at version: Int, path: String) throws -> SQLiteConnection {
        let connection = try SQLiteConnection(path: path)
        _ = try connection.scalar("PRAGMA journal_mode = WAL")
        for (step, sql) in [version1, version2, version3].enumerated() where step < version {
            try connection.execute(sql)
        }
        // Version 4 rewrote the file once for incremental auto-vacuum.
        if version >= 4 { try connection.execute("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;") }
        try connection.execute("PRAGMA user_version = \(version)")
        return connection
    }
}
