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

/// The required fields only (as the document marks them), still in audit.
private let minimalAnswer = """
    {"product_coupon_id":"1000000013","scope":"SINGLE","type":"EXCHANGE","usage_mode":"SINGLE",
     "display_info":{"name":"双人套餐兑换券","image_url":"https://wxpaylogo.qpic.cn/a","background_url":"https://wxpaylogo.qpic.cn/b"},
     "state":"AUDITING","brand_id":"120344"}
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

    @Test("an answer with only the required fields decodes, every optional structure absent")
    func requiredFieldsOnly() throws {
        let answer = try decode(minimalAnswer)
        #expect(answer.productCouponID == "1000000013")
        #expect(answer.scope == .known(.single) && answer.type == .known(.exchange))
        #expect(answer.usageMode == .known(.single))
        #expect(answer.singleUsageInfo == nil)
        #expect(answer.progressiveBundleUsageInfo == nil)
        #expect(answer.displayInfo?.name == "双人套餐兑换券")
        #expect(answer.displayInfo?.detailImageURLs == nil)
        #expect(answer.displayInfo?.originalPrice == nil)
        #expect(answer.displayInfo?.comboPackages == nil)
        #expect(answer.outProductNo == nil)
        #expect(answer.deactivateRequestNo == nil && answer.deactivateTime == nil && answer.deactivateReason == nil)
        #expect(answer.couponState == .auditing)
    }

    @Test("each rule of single_usage_info decodes on its own, the other absent")
    func singleUsageRulesApart() throws {
        let normal = try decode(#"{"single_usage_info":{"normal_coupon":{"threshold":0,"discount_amount":500}}}"#)
        #expect(normal.singleUsageInfo?.normalCoupon?.threshold == 0)
        #expect(normal.singleUsageInfo?.normalCoupon?.discountAmount == 500)
        #expect(normal.singleUsageInfo?.discountCoupon == nil)
        let discount = try decode(#"{"single_usage_info":{"discount_coupon":{"percent_off":15}}}"#)
        #expect(discount.singleUsageInfo?.discountCoupon?.percentOff == 15)
        #expect(discount.singleUsageInfo?.discountCoupon?.threshold == nil)
        #expect(discount.singleUsageInfo?.normalCoupon == nil)
    }

    @Test("progressive_bundle_usage_info without interval_days, and a combo package choice with only its name")
    func partialStructures() throws {
        let answer = try decode(
            #"{"progressive_bundle_usage_info":{"count":3},"display_info":{"combo_package_list":[{"name":"饮品","pick_count":1,"choice_list":[{"name":"豆浆"}]}]}}"#
        )
        #expect(answer.progressiveBundleUsageInfo?.count == 3)
        #expect(answer.progressiveBundleUsageInfo?.intervalDays == nil)
        let choice = try #require(answer.displayInfo?.comboPackages?.first?.choices?.first)
        #expect(choice.name == "豆浆")
        #expect(choice.price == nil && choice.imageURL == nil && choice.miniProgramAppID == nil)
    }

    @Test("state is strict: only AUDITING, EFFECTIVE and DEACTIVATED are coupon states")
    func strictState() throws {
        for state in ProductCouponAnswer.CouponState.allCases {
            #expect(try decode(#"{"state":"\#(state.rawValue)"}"#).couponState == state)
        }
        for unknown in ["effective", "APPROVED", ""] {
            let answer = try decode(#"{"state":"\#(unknown)"}"#)
            #expect(answer.state == unknown, "kept for the log")
            #expect(answer.couponState == nil)
        }
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
        "answers that cannot be right are anomalies, never states, and the reason names the problem",
        arguments: [
            (
                documentExample.replacingOccurrences(of: "1000000013", with: "1000000014"),
                #"answer is about product_coupon_id "1000000014", not 1000000013"#
            ),
            (
                documentExample.replacingOccurrences(of: #""product_coupon_id" : "1000000013","#, with: ""),
                "product_coupon_id is missing"
            ),
            (
                documentExample.replacingOccurrences(of: "\"120344\"", with: "\"999999\""),
                #"answer is about brand_id "999999", not 120344"#
            ),
            (
                documentExample.replacingOccurrences(of: #""brand_id" : "120344""#, with: #""brand" : "120344""#),
                "brand_id is missing"
            ),
            (documentExample.replacingOccurrences(of: "EFFECTIVE", with: "APPROVED"), #"unknown state "APPROVED""#),
            (documentExample.replacingOccurrences(of: "EFFECTIVE", with: "effective"), #"unknown state "effective""#),
            (documentExample.replacingOccurrences(of: #""state" : "EFFECTIVE","#, with: ""), "state is missing"),
            (documentExample.replacingOccurrences(of: #""EFFECTIVE""#, with: "3"), "field state is not"),
            ("<html>gateway</html>", "invalid JSON"),
            ("", "invalid JSON"),
        ])
    func anomalies(body: String, reason expected: String) {
        guard case .anomaly(let reason) = kind.interpret(Array(body.utf8), for: row()) else {
            Issue.record("believed: \(body)")
            return
        }
        #expect(reason.contains(expected), "\(reason)")
    }

    @Test("a body that is not UTF-8 is not believed")
    func notUTF8() {
        var body = Array(documentExample.utf8)
        let firstMultibyte = body.firstIndex { $0 >= 0x80 }
        #expect(firstMultibyte != nil, "the example has Chinese text")
        if let firstMultibyte { body[firstMultibyte] = 0xFF }
        guard case .anomaly = kind.interpret(body, for: row()) else {
            Issue.record("believed")
            return
        }
    }

    @Test("an answer with only the required fields is believed; the absent columns are stored empty")
    func minimalAnswerBelieved() {
        guard
            case .state(let state, let results, let detail, let notice) = kind.interpret(
                Array(minimalAnswer.utf8), for: row())
        else {
            Issue.record("not a state")
            return
        }
        #expect(state == "AUDITING")
        #expect(results["coupon_json"] == .text(minimalAnswer))
        #expect(results["coupon_name"] == .text("双人套餐兑换券"))
        #expect(results["coupon_type"] == .text("EXCHANGE"))
        #expect(results["coupon_scope"] == .text("SINGLE"))
        #expect(results["deactivate_time"] == .null && results["deactivate_reason"] == .null)
        #expect(detail == nil && notice == nil)
    }

    @Test("deactivate_* are stored only for DEACTIVATED, as the document provides them only then")
    func deactivationOnlyWhenDeactivated() {
        let effective = documentExample.replacingOccurrences(
            of: #""brand_id" : "120344""#,
            with: #""brand_id" : "120344", "deactivate_time" : "2015-05-20T13:29:35+08:00", "deactivate_reason" : "x""#)
        guard case .state(_, let results, _, _) = kind.interpret(Array(effective.utf8), for: row()) else {
            Issue.record("not a state")
            return
        }
        #expect(results["deactivate_time"] == .null && results["deactivate_reason"] == .null)

        let bare = documentExample.replacingOccurrences(of: "EFFECTIVE", with: "DEACTIVATED")
        guard case .state(let state, let bareResults, let detail, _) = kind.interpret(Array(bare.utf8), for: row())
        else {
            Issue.record("a DEACTIVATED answer without its optional fields was not believed")
            return
        }
        #expect(state == "DEACTIVATED")
        #expect(bareResults["deactivate_reason"] == .null && detail == nil)
    }

    @Test("every state WeChat Pay answers with is either still watched or final, never both")
    func statesPartition() {
        for state in ProductCouponKind.remoteStates {
            #expect(kind.table.activeStates.contains(state) != kind.finalStates.contains(state), "\(state)")
        }
        #expect(kind.table.activeStates.contains("PENDING"))
        #expect(kind.resource == "product_coupon" && kind.table.idColumn == "product_coupon_id")
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

    @Test(
        "a price or count that does not fit its integer field is no reason to disbelieve the state: a notice names it",
        arguments: ["\"20\"", "85.5", "99999999999999999999"])
    func unreadableStoredFieldNoticed(percentOff: String) {
        let body = documentExample.replacingOccurrences(of: "20\n", with: percentOff + "\n")
        #expect(body != documentExample)
        guard case .state(let state, let results, _, let notice) = kind.interpret(Array(body.utf8), for: row()) else {
            Issue.record("not believed: \(percentOff)")
            return
        }
        #expect(state == "EFFECTIVE")
        #expect(results["coupon_name"] == .text("全场满100立打8折-新名字") && results["coupon_type"] == .text("DISCOUNT"))
        #expect(results["coupon_json"] == .text(body), "the body as received")
        #expect(notice?.contains("kept as received in coupon_json") == true, "\(notice ?? "no notice")")
    }

    @Test("every unknown enumeration value is named in one notice")
    func everyUnknownValueNoticed() {
        let body =
            documentExample
            .replacingOccurrences(of: #""scope" : "ALL""#, with: #""scope" : "REGION""#)
            .replacingOccurrences(of: #""usage_mode" : "SINGLE""#, with: #""usage_mode" : "SUBSCRIPTION""#)
        guard case .state(_, let results, _, let notice) = kind.interpret(Array(body.utf8), for: row()) else {
            Issue.record("not a state")
            return
        }
        #expect(results["coupon_scope"] == .text("REGION"))
        #expect(notice == "values not in the document, kept verbatim: scope=REGION, usage_mode=SUBSCRIPTION")
    }

    @Test("the request is the documented path with brand_id in the query")
    func request() {
        let request = kind.request(for: row())
        #expect(
            request.canonicalURL == "/v3/marketing/partner/product-coupon/product-coupons/1000000013?brand_id=120344")
    }

    @Test("coupon ids are 1–40 characters of [0-9A-Za-z_-], and a refusal names product_coupon_id")
    func validation() {
        #expect(kind.validate(row("1000000013")) == nil)
        #expect(kind.validate(row("7")) == nil)
        #expect(kind.validate(row(String(repeating: "1", count: 40))) == nil)
        for bad in [String(repeating: "1", count: 41), "10/../13", "", "1000 0013", "券1"] {
            let problem = kind.validate(row(bad))
            #expect(
                problem?.contains("product_coupon_id") == true,
                "\(bad.debugDescription): \(String(describing: problem))")
        }
    }
}
