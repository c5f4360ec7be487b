import Foundation
import ProductCoupons
import Testing
import WatcherSQLite
import WatcherStore
import WatcherTestSupport

let productCoupons = ProductCouponKind.table

/// `PRAGMA table_info` as column name → (type, not null, default).
private func columns(of table: String, in connection: SQLiteConnection) throws -> [String: String] {
    var result: [String: String] = [:]
    for row in try connection.query("SELECT name, type, \"notnull\", dflt_value FROM pragma_table_info('\(table)')") {
        result[row[0].stringValue ?? ""] =
            "\(row[1].stringValue ?? "") notnull=\(row[2].int64Value ?? -1) default=\(row[3].stringValue ?? "none")"
    }
    return result
}

/// Index names of `table` without the table prefix, with their partial-index condition.
private func indexes(of table: String, in connection: SQLiteConnection) throws -> [String: String] {
    var result: [String: String] = [:]
    for row in try connection.query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        [.text(table)])
    {
        let name = (row[0].stringValue ?? "").replacingOccurrences(of: table + "_", with: "")
        let sql = row[1].stringValue ?? ""
        result[name] = sql.range(of: "WHERE").map { String(sql[$0.lowerBound...]) } ?? ""
    }
    return result
}

@Suite("The product coupons table")
struct ProductCouponSchemaTests {
    @Test("the table is the issue's contract plus the operator columns, with the image table's bookkeeping")
    func columnsMirrorTheImageTable() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let connection = try SQLiteConnection(path: directory.file("db.sqlite3"))
        defer { connection.close() }
        try Migrator.migrate(connection, kinds: shippedKinds)
        let coupons = try columns(of: "product_coupons", in: connection)
        let tasks = try columns(of: "image_generation_tasks", in: connection)
        #expect(coupons["merchant_id"] == "TEXT notnull=1 default=none")
        #expect(coupons["product_coupon_id"] == "TEXT notnull=1 default=none")
        #expect(coupons["brand_id"] == "TEXT notnull=1 default=none")
        #expect(coupons["state"] == "TEXT notnull=1 default='PENDING'")
        for column in ["coupon_json", "error", "updated_at", "completed_at"] + productCoupons.resultColumns {
            #expect(coupons[column] == "TEXT notnull=0 default=none", "\(column)")
        }
        #expect(coupons["created_at"] == tasks["created_at"])
        let shared = Set(tasks.keys).subtracting(["task_id", "image_generation_type", "image_url"])
        for column in shared { #expect(coupons[column] == tasks[column], "\(column) as in image_generation_tasks") }
        let expected = shared.union(["product_coupon_id"]).union(productCoupons.resultColumns)
        #expect(Set(coupons.keys) == expected, "no other columns")
        let primaryKey = try connection.query(
            "SELECT name FROM pragma_table_info('product_coupons') WHERE pk > 0 ORDER BY pk"
        ).map { $0[0].stringValue ?? "" }
        #expect(primaryKey == ["merchant_id", "product_coupon_id"])
    }

    @Test("the same queue indexes as the image table, over the coupon's active states")
    func indexesMirrorTheImageTable() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let connection = try SQLiteConnection(path: directory.file("db.sqlite3"))
        defer { connection.close() }
        try Migrator.migrate(connection, kinds: shippedKinds)
        let coupons = try indexes(of: "product_coupons", in: connection)
        let tasks = try indexes(of: "image_generation_tasks", in: connection)
        #expect(Set(coupons.keys) == Set(tasks.keys))
        #expect(Set(coupons.keys).isSuperset(of: ["due", "new", "deadline", "state"]))
        #expect(coupons["due"] == "WHERE state IN ('PENDING', 'AUDITING')")
        #expect(coupons["new"] == tasks["new"])
        let plan = try connection.query(
            "EXPLAIN QUERY PLAN SELECT rowid FROM product_coupons INDEXED BY product_coupons_due WHERE merchant_id = '1' AND state IN ('PENDING', 'AUDITING') AND next_poll_at IS NOT NULL ORDER BY next_poll_at LIMIT 5"
        ).map { $0[3].stringValue ?? "" }.joined()
        #expect(plan.contains("USING INDEX product_coupons_due"), "\(plan)")
        #expect(!plan.contains("TEMP B-TREE"), "ordered by the index: \(plan)")
    }

    @Test("the shared queue serves coupons: intake, a transition tagged product_coupon, results, a final row")
    func queueServesCoupons() async throws {
        let fixture = try StoreFixture()
        let connection = try SQLiteConnection(path: fixture.path)
        try connection.run(
            "INSERT INTO product_coupons (merchant_id, product_coupon_id, brand_id) VALUES ('1900000001', '1000000013', '120344')"
        )
        #expect(throws: SQLiteError.self, "one row per merchant and coupon") {
            try connection.run(
                "INSERT INTO product_coupons (merchant_id, product_coupon_id, brand_id) VALUES ('1900000001', '1000000013', '120345')"
            )
        }
        connection.close()
        let row = try #require(try await fixture.store.newRows(productCoupons, limit: 5).first)
        #expect(row.resourceID == "1000000013" && row.brandID == "120344" && row.state == "PENDING")
        var effective = RowUpdate(row: row, table: productCoupons, at: Date())
        effective.newState = "EFFECTIVE"
        effective.isTerminal = true
        effective.countsAsPoll = true
        effective.results = ["coupon_json": .text(#"{"state":"EFFECTIVE"}"#), "coupon_name": .text("全场8折")]
        let applied = try await fixture.store.apply([effective])
        #expect(applied.first?.transition?.resource == "product_coupon")
        #expect(
            try fixture.scalar(
                "SELECT resource || ' ' || resource_id || ' ' || from_state || '→' || to_state FROM state_transitions")
                == .text("product_coupon 1000000013 PENDING→EFFECTIVE"))
        #expect(try fixture.scalar("SELECT coupon_json FROM product_coupons") == .text(#"{"state":"EFFECTIVE"}"#))
        #expect(try fixture.scalar("SELECT coupon_name FROM product_coupons") == .text("全场8折"))
        #expect(try await fixture.store.upcomingRows(productCoupons, merchant: "1900000001", limit: 5).isEmpty)
    }
}
