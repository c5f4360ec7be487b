import Foundation
import WatcherEngine
import WatcherSQLite
import WatcherStore
import WeChatPay

/// Product coupons (查询商品券) in audit: `PENDING` → `AUDITING` → `EFFECTIVE` | `DEACTIVATED`.
///
/// Every verified answer is stored verbatim in `coupon_json`, with the fields operators query in their own
/// columns (`coupon_name`, `coupon_type`, `coupon_scope`, `deactivate_time`, `deactivate_reason`).
public struct ProductCouponKind: ResourceKind {
    /// The states WeChat Pay answers with.
    public static let remoteStates: Set<String> = ["AUDITING", "EFFECTIVE", "DEACTIVATED"]

    /// Creates the kind.
    public init() {}

    /// The `product_coupons` table.
    public let table = ResourceTable(
        resource: "product_coupon",
        table: "product_coupons",
        idColumn: "product_coupon_id",
        parameterColumns: [],
        resultColumns: [
            "coupon_json", "coupon_name", "coupon_type", "coupon_scope", "deactivate_time", "deactivate_reason",
        ],
        activeStates: ["PENDING", "AUDITING"]
    )

    /// `EFFECTIVE` and `DEACTIVATED` end the watch.
    public var finalStates: Set<String> { ["EFFECTIVE", "DEACTIVATED"] }

    /// Checks the coupon id: 1–40 characters of `[0-9A-Za-z_-]` (WeChat Pay's ids are digits).
    public func validate(_ row: QueuedRow) -> String? {
        RowValidation.identifierProblem(row.resourceID, column: "product_coupon_id", minimum: 1, maximum: 40)
    }

    /// `GET …/product-coupons/{product_coupon_id}?brand_id=…`.
    public func request(for row: QueuedRow) -> APIRequest {
        APIRequest(
            pathSegments: ["v3", "marketing", "partner", "product-coupon", "product-coupons", row.resourceID],
            query: [("brand_id", row.brandID)]
        )
    }

    /// Reads a verified answer; anything that cannot be right is an anomaly, never a state.
    public func interpret(_ body: [UInt8], for row: QueuedRow) -> Interpretation {
        let answer: ProductCouponAnswer
        do {
            answer = try JSONDecoder().decode(ProductCouponAnswer.self, from: Data(body))
        } catch {
            return .anomaly(AnswerChecks.describe(error))
        }
        if answer.productCouponID != row.resourceID {
            return .anomaly(
                "answer is about product_coupon_id \(String(describing: answer.productCouponID)), not \(row.resourceID)"
            )
        }
        if answer.brandID != row.brandID {
            return .anomaly("answer is about brand_id \(String(describing: answer.brandID)), not \(row.brandID)")
        }
        guard let state = answer.state else { return .anomaly("state is missing") }
        guard Self.remoteStates.contains(state) else { return .anomaly("unknown state \(state.debugDescription)") }
        guard let json = String(bytes: body, encoding: .utf8) else { return .anomaly("the body is not UTF-8") }
        var results: [String: SQLiteValue] = ["coupon_json": .text(json)]
        func store(_ column: String, _ value: String?) { results[column] = value.map(SQLiteValue.text) ?? .null }
        store("coupon_name", answer.displayInfo?.name)
        store("coupon_type", answer.type?.rawValue)
        store("coupon_scope", answer.scope?.rawValue)
        store("deactivate_time", state == "DEACTIVATED" ? answer.deactivateTime : nil)
        store("deactivate_reason", state == "DEACTIVATED" ? answer.deactivateReason : nil)
        let detail = state == "DEACTIVATED" ? answer.deactivateReason.map { "reason: \($0)" } : nil
        return .state(state, results: results, detail: detail, notice: Self.unknownValues(in: answer))
    }

    /// Coupons of one type take similar times in audit.
    public func cohort(of row: QueuedRow) -> String { "coupon" }

    /// Enumeration values this program does not know, for the log; nil when there are none.
    static func unknownValues(in answer: ProductCouponAnswer) -> String? {
        var unknown: [String] = []
        if case .other(let raw)? = answer.scope { unknown.append("scope=\(raw)") }
        if case .other(let raw)? = answer.type { unknown.append("type=\(raw)") }
        if case .other(let raw)? = answer.usageMode { unknown.append("usage_mode=\(raw)") }
        return unknown.isEmpty ? nil : "values not in the document, kept verbatim: " + unknown.joined(separator: ", ")
    }
}
