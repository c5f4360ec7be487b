import Foundation
import WatcherEngine
import WatcherSQLite
import WatcherStore
import WeChatPay

/// Product coupons (查询商品券) in audit: `PENDING` → `AUDITING` → `EFFECTIVE` | `DEACTIVATED`.
///
/// Every verified answer is stored verbatim in `coupon_json`, with the fields operators query in their own
/// columns (`coupon_name`, `coupon_type`, `coupon_scope`, `deactivate_time`, `deactivate_reason`).
package struct ProductCouponKind: ResourceKind {
    /// The states WeChat Pay answers with.
    package static let remoteStates = Set(ProductCouponAnswer.CouponState.allCases.map(\.rawValue))

    /// Creates the kind.
    package init() {}

    /// The `product_coupons` table and its migrations.
    package var schema: KindSchema { Self.schema }

    /// A new coupon as a producer inserts it.
    package static func newRow(merchantID: String, productCouponID: String, brandID: String) -> QueuedRow {
        QueuedRow(
            rowID: 0, merchantID: merchantID, resourceID: productCouponID, brandID: brandID, state: LocalState.pending)
    }

    /// The coupon's name, and why it was deactivated if it was.
    package func describeResults(_ results: [String: String]) -> String? {
        results["coupon_name"].map { name in name + (results["deactivate_reason"].map { " — " + $0 } ?? "") }
    }

    /// `EFFECTIVE` and `DEACTIVATED` end the watch.
    package var finalStates: Set<String> {
        [ProductCouponAnswer.CouponState.effective.rawValue, ProductCouponAnswer.CouponState.deactivated.rawValue]
    }

    /// Checks the coupon id: 1–40 characters (the document's `string(40)`) of `[0-9A-Za-z_-]`, so that it is
    /// one path segment as it stands (WeChat Pay's ids are digits).
    package func validate(_ row: QueuedRow) -> String? {
        RowValidation.identifierProblem(row.resourceID, column: "product_coupon_id", minimum: 1, maximum: 40)
    }

    /// `GET …/product-coupons/{product_coupon_id}?brand_id=…` (`brand_id` is required by the document).
    package func request(for row: QueuedRow) -> APIRequest {
        APIRequest(
            pathSegments: ["v3", "marketing", "partner", "product-coupon", "product-coupons", row.resourceID],
            query: [("brand_id", row.brandID)]
        )
    }

    /// Reads a verified answer; anything that cannot be right is an anomaly, never a state.
    package func interpret(_ body: [UInt8], for row: QueuedRow) -> Interpretation {
        let answer: ProductCouponAnswer
        do {
            answer = try JSONDecoder().decode(ProductCouponAnswer.self, from: Data(body))
        } catch {
            return .anomaly(AnswerChecks.describe(error))
        }
        let unreadable = answer.unreadable.map { "\($0) (kept as received in coupon_json)" }
        if let problem = Self.mismatch("product_coupon_id", answered: answer.productCouponID, expected: row.resourceID)
            ?? Self.mismatch("brand_id", answered: answer.brandID, expected: row.brandID)
        {
            return .anomaly(problem)
        }
        guard let raw = answer.state else { return .anomaly("state is missing") }
        guard let state = answer.couponState else { return .anomaly("unknown state \(raw.debugDescription)") }
        guard let json = String(validating: body, as: UTF8.self) else { return .anomaly("the body is not UTF-8") }
        let deactivated = state == .deactivated
        var results: [String: SQLiteValue] = ["coupon_json": .text(json)]
        func store(_ column: String, _ value: String?) { results[column] = value.map(SQLiteValue.text) ?? .null }
        store("coupon_name", answer.displayInfo?.name)
        store("coupon_type", answer.type?.rawValue)
        store("coupon_scope", answer.scope?.rawValue)
        store("deactivate_time", deactivated ? answer.deactivateTime : nil)
        store("deactivate_reason", deactivated ? answer.deactivateReason : nil)
        let detail = deactivated ? answer.deactivateReason.map { "reason: \($0)" } : nil
        let notices = [unreadable, Self.unknownValues(in: answer)].compactMap { $0 }
        return .state(
            state.rawValue, results: results, detail: detail,
            notice: notices.isEmpty ? nil : notices.joined(separator: "; "))
    }

    /// One cohort for all coupons: a row carries only ids, and the coupon's type is not known before the first
    /// answer, so there is nothing to tell one coupon's audit time from another's in advance.
    package func cohort(of row: QueuedRow) -> String { "coupon" }

    /// Nil when the answer names the expected value; otherwise the problem, in the words of the log.
    static func mismatch(_ field: String, answered: String?, expected: String) -> String? {
        guard let answered else { return "\(field) is missing (expected \(expected))" }
        return answered == expected ? nil : "answer is about \(field) \(answered.debugDescription), not \(expected)"
    }

    /// Enumeration values this program does not know, for the log; nil when there are none.
    static func unknownValues(in answer: ProductCouponAnswer) -> String? {
        var unknown: [String] = []
        if case .other(let raw)? = answer.scope { unknown.append("scope=\(raw)") }
        if case .other(let raw)? = answer.type { unknown.append("type=\(raw)") }
        if case .other(let raw)? = answer.usageMode { unknown.append("usage_mode=\(raw)") }
        return unknown.isEmpty ? nil : "values not in the document, kept verbatim: " + unknown.joined(separator: ", ")
    }
}
