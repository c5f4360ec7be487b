import Foundation
import ProductCoupons
import Testing
import WatcherEngine
import WatcherSQLite
import WatcherStore

/// The document's example answer, verbatim.
private let documentExample = """
    {
      "product_coupon_id" : "1000000013",
      "scope" : "ALL",
      "type" : "DISCOUNT",
      "usage_mode" : "SINGLE",
      "single_usage_info" : {
        "discount_coupon" : {
          "threshold" : 10000,
          "percent_off" : 20
        }
      },
      "display_info" : {
        "name" : "全场满100立打8折-新名字",
        "image_url" : "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
        "background_url" : "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
        "detail_image_url_list" : [
          "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx"
        ]
      },
      "state" : "EFFECTIVE",
      "out_product_no" : "Product_1234567890",
      "brand_id" : "120344"
    }
    """

private func row(_ id: String = "1000000013", brand: String = "120344") -> QueuedRow {
    QueuedRow(rowID: 1, merchantID: "1900000001", resourceID: id, brandID: brand, state: "AUDITING")
}

private func decode(_ json: String) throws -> ProductCouponAnswer {
    try JSONDecoder().decode(ProductCouponAnswer.self, from: Data(json.utf8))
}

@Suite("ProductCouponAnswer: the document's model")
struct ProductCouponAnswerTests {
    @Test("the document's example answer decodes field for field")
    func documentExampleDecodes() throws {
        let answer = try decode(documentExample)
        #expect(answer.productCouponID == "1000000013")
        #expect(answer.scope == .known(.all))
        #expect(answer.type == .known(.discount))
        #expect(answer.usageMode == .known(.single))
        #expect(answer.singleUsageInfo?.discountCoupon?.threshold == 10_000)
        #expect(answer.singleUsageInfo?.discountCoupon?.percentOff == 20)
        #expect(answer.singleUsageInfo?.normalCoupon == nil)
        #expect(answer.progressiveBundleUsageInfo == nil)
        #expect(answer.displayInfo?.name == "全场满100立打8折-新名字")
        #expect(answer.displayInfo?.detailImageURLs?.count == 1)
        #expect(answer.displayInfo?.comboPackages == nil)
        #expect(answer.state == "EFFECTIVE")
        #expect(answer.outProductNo == "Product_1234567890")
        #expect(answer.brandID == "120344")
        #expect(answer.deactivateTime == nil)
    }

    @Test("every optional structure decodes when present")
    func optionalStructures() throws {
        let answer = try decode(
            """
            {"product_coupon_id":"7","scope":"SINGLE","type":"EXCHANGE","usage_mode":"PROGRESSIVE_BUNDLE",
             "single_usage_info":{"normal_coupon":{"threshold":5000,"discount_amount":1000}},
             "progressive_bundle_usage_info":{"count":5,"interval_days":2},
             "display_info":{"name":"套餐券","image_url":"https://a/1","background_url":"https://a/2",
               "original_price":8800,
               "combo_package_list":[{"name":"双人餐","pick_count":2,"choice_list":[
                 {"name":"可乐","price":500,"count":1,"image_url":"https://a/3","mini_program_appid":"wx1234",
                  "mini_program_path":"/pages/x"}]}]},
             "state":"DEACTIVATED","deactivate_request_no":"REQ_1","deactivate_time":"2015-05-20T13:29:35+08:00",
             "deactivate_reason":"活动结束","brand_id":"120344"}
            """)
        #expect(answer.singleUsageInfo?.normalCoupon?.threshold == 5_000)
        #expect(answer.singleUsageInfo?.normalCoupon?.discountAmount == 1_000)
        #expect(answer.progressiveBundleUsageInfo?.count == 5)
        #expect(answer.progressiveBundleUsageInfo?.intervalDays == 2)
        #expect(answer.displayInfo?.originalPrice == 8_800)
        let choice = try #require(answer.displayInfo?.comboPackages?.first?.choices?.first)
        #expect(choice.miniProgramAppID == "wx1234" && choice.price == 500)
        #expect(answer.deactivateRequestNo == "REQ_1")
    }

    @Test("an enumeration value the document does not list is kept verbatim, not a failure")
    func openEnumerations() throws {
        let answer = try decode(#"{"scope":"REGION","type":"CASHBACK","usage_mode":"SUBSCRIPTION"}"#)
        #expect(answer.scope == .other("REGION"))
        #expect(answer.type?.rawValue == "CASHBACK")
        #expect(answer.usageMode == .other("SUBSCRIPTION"))
    }
}

@Suite("ProductCouponKind: what an answer means for a row")
struct ProductCouponKindTests {
    let kind = ProductCouponKind()

    @Test("an EFFECTIVE answer ends the watch and stores the body verbatim with the operator columns")
    func effective() throws {
        guard
            case .state(let state, let results, _, let notice) = kind.interpret(Array(documentExample.utf8), for: row())
        else {
            Issue.record("not a state")
            return
        }
        #expect(state == "EFFECTIVE")
        #expect(kind.finalStates.contains(state))
        #expect(results["coupon_json"] == .text(documentExample))
        #expect(results["coupon_name"] == .text("全场满100立打8折-新名字"))
        #expect(results["coupon_type"] == .text("DISCOUNT"))
        #expect(results["coupon_scope"] == .text("ALL"))
        #expect(results["deactivate_time"] == .null)
        #expect(notice == nil)
    }

    @Test("a DEACTIVATED answer records when and why")
    func deactivated() throws {
        let body = documentExample.replacingOccurrences(
            of: #""state" : "EFFECTIVE""#,
            with:
                #""state" : "DEACTIVATED", "deactivate_time" : "2015-05-20T13:29:35+08:00", "deactivate_reason" : "品牌方下架""#
        )
        guard case .state(let state, let results, let detail, _) = kind.interpret(Array(body.utf8), for: row()) else {
            Issue.record("not a state")
            return
        }
        #expect(state == "DEACTIVATED")
        #expect(results["deactivate_time"] == .text("2015-05-20T13:29:35+08:00"))
        #expect(results["deactivate_reason"] == .text("品牌方下架"))
        #expect(detail == "reason: 品牌方下架")
    }

    @Test("AUDITING keeps the watch going")
    func auditing() {
        let body = documentExample.replacingOccurrences(of: "EFFECTIVE", with: "AUDITING")
        guard case .state(let state, _, _, _) = kind.interpret(Array(body.utf8), for: row()) else {
            Issue.record("not a state")
            return
        }
        #expect(state == "AUDITING")
        #expect(kind.table.activeStates.contains(state))
    }

    @Test(
        "answers that cannot be right are anomalies, never states",
        arguments: [
            ("another coupon", documentExample.replacingOccurrences(of: "1000000013", with: "1000000014")),
            ("another brand", documentExample.replacingOccurrences(of: "\"120344\"", with: "\"999999\"")),
            ("unknown state", documentExample.replacingOccurrences(of: "EFFECTIVE", with: "APPROVED")),
            ("no state", documentExample.replacingOccurrences(of: #""state" : "EFFECTIVE","#, with: "")),
            ("not JSON", "<html>gateway</html>"),
            ("state not a string", documentExample.replacingOccurrences(of: #""EFFECTIVE""#, with: "3")),
        ])
    func anomalies(name: String, body: String) {
        guard case .anomaly(let reason) = kind.interpret(Array(body.utf8), for: row()) else {
            Issue.record("\(name) was believed")
            return
        }
        #expect(!reason.isEmpty)
    }

    @Test("an unknown value in a stored enumeration is believed and reported for the log")
    func unknownValueNoticed() {
        let body = documentExample.replacingOccurrences(of: #""type" : "DISCOUNT""#, with: #""type" : "CASHBACK""#)
        guard case .state(_, let results, _, let notice) = kind.interpret(Array(body.utf8), for: row()) else {
            Issue.record("not a state")
            return
        }
        #expect(results["coupon_type"] == .text("CASHBACK"))
        #expect(notice?.contains("type=CASHBACK") == true)
    }

    @Test("the request is the documented path with brand_id in the query")
    func request() {
        let request = kind.request(for: row())
        #expect(
            request.canonicalURL == "/v3/marketing/partner/product-coupon/product-coupons/1000000013?brand_id=120344")
    }

    @Test("coupon ids are 1–40 characters of [0-9A-Za-z_-]")
    func validation() {
        #expect(kind.validate(row("1000000013")) == nil)
        #expect(kind.validate(row(String(repeating: "1", count: 41))) != nil)
        #expect(kind.validate(row("10/../13")) != nil)
        #expect(kind.validate(row("")) != nil)
    }
}
