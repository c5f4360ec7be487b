import Foundation

/// The two APIs the simulator serves, named like the watcher's resources.
package enum SimulatedAPI: String, Sendable, CaseIterable, Codable {
    /// 查询图片生成任务执行结果.
    case imageGenerationTask = "image_generation_task"
    /// 查询商品券.
    case productCoupon = "product_coupon"

    /// The path prefix of the API.
    var pathPrefix: String {
        switch self {
        case .imageGenerationTask: "/v3/marketing/partner/product-coupon/image-generation-tasks/"
        case .productCoupon: "/v3/marketing/partner/product-coupon/product-coupons/"
        }
    }
}

/// How a simulated resource ends.
package enum SimulatedOutcome: String, Sendable, Codable {
    /// `SUCCESS` for a task, `EFFECTIVE` for a coupon.
    case success
    /// `FAIL` for a task, `DEACTIVATED` for a coupon.
    case failure
}

/// One simulated resource: an image-generation task or a product coupon.
package struct SimulatedResource: Sendable, Equatable {
    /// Which API serves it.
    package var api: SimulatedAPI
    /// The merchant that owns it.
    package var mchid: String
    /// The task id or coupon id.
    package var id: String
    /// The brand it belongs to; queries naming another brand are refused.
    package var brandID: String
    /// For tasks: `COMBINE_IMAGE` or `CUT_OUT`.
    package var imageGenerationType: String?
    /// Wall-clock time it was created.
    package var createdAt: Date
    /// Seconds from creation to its final state.
    package var duration: Double
    /// How it ends.
    package var outcome: SimulatedOutcome
    /// Before this time the API answers 404 (a resource not yet visible).
    package var visibleAt: Date?

    /// Creates a resource.
    package init(
        api: SimulatedAPI,
        mchid: String,
        id: String,
        brandID: String,
        imageGenerationType: String? = nil,
        createdAt: Date,
        duration: Double,
        outcome: SimulatedOutcome,
        visibleAt: Date? = nil
    ) {
        self.api = api
        self.mchid = mchid
        self.id = id
        self.brandID = brandID
        self.imageGenerationType = imageGenerationType
        self.createdAt = createdAt
        self.duration = duration
        self.outcome = outcome
        self.visibleAt = visibleAt
    }

    /// When it reaches its final state.
    package var completesAt: Date { createdAt.addingTimeInterval(duration) }

    /// Its state at `now`, in the API's words.
    package func state(at now: Date) -> String {
        let done = now >= completesAt
        switch (api, done, outcome) {
        case (.imageGenerationTask, false, _): return "PROCESSING"
        case (.imageGenerationTask, true, .success): return "SUCCESS"
        case (.imageGenerationTask, true, .failure): return "FAIL"
        case (.productCoupon, false, _): return "AUDITING"
        case (.productCoupon, true, .success): return "EFFECTIVE"
        case (.productCoupon, true, .failure): return "DEACTIVATED"
        }
    }

    /// Its final state.
    package var finalState: String { state(at: .distantFuture) }

    /// The URL a successful task reports; deterministic so tests can check the stored one.
    package var imageURL: String {
        "https://wxpaylogo.qpic.cn/wxpaylogo/simulated/\(mchid)/\(id).jpg"
    }

    /// The answer body at `now`, as WeChat Pay would write it.
    func answer(at now: Date) -> [String: Any] {
        switch api {
        case .imageGenerationTask: taskAnswer(at: now)
        case .productCoupon: couponAnswer(at: now)
        }
    }

    private func taskAnswer(at now: Date) -> [String: Any] {
        let state = state(at: now)
        let type = imageGenerationType ?? "COMBINE_IMAGE"
        var body: [String: Any] = [
            "brand_id": brandID, "task_id": id, "image_generation_type": type, "task_state": state,
        ]
        if state == "SUCCESS" {
            body[type == "CUT_OUT" ? "cut_out_result" : "combine_image_result"] = ["image_url": imageURL]
        }
        return body
    }

    /// The coupon's design: one of the document's shapes, chosen by its id so every answer about it agrees.
    package var couponDesign: SimulatedCouponDesign { SimulatedCouponDesign(couponID: id) }

    /// A coupon answer in the document's full model (its example answer is the first design).
    private func couponAnswer(at now: Date) -> [String: Any] {
        let state = state(at: now)
        let design = couponDesign
        let images = "https://wxpaylogo.qpic.cn/wxpaylogo/simulated/\(id)"
        var display: [String: Any] = [
            "name": design.name,
            "image_url": images + "/image",
            "background_url": images + "/background",
            "detail_image_url_list": [images + "/detail_1", images + "/detail_2"],
        ]
        var body: [String: Any] = [
            "product_coupon_id": id,
            "scope": design.scope,
            "type": design.type,
            "usage_mode": design.usageMode,
            "out_product_no": "Product_\(id)",
            "state": state,
            "brand_id": brandID,
        ]
        switch design {
        case .discount:
            body["single_usage_info"] = ["discount_coupon": ["threshold": 10_000, "percent_off": 20]]
        case .normal:
            body["single_usage_info"] = ["normal_coupon": ["threshold": 10_000, "discount_amount": 2_000]]
        case .exchange:
            display["original_price"] = 9_900
            display["combo_package_list"] = [
                [
                    "name": "主食", "pick_count": 1,
                    "choice_list": [
                        [
                            "name": "牛肉面", "price": 3_200, "count": 1, "image_url": images + "/choice_1",
                            "mini_program_appid": "wx1234567890abcdef", "mini_program_path": "/pages/item?id=1",
                        ],
                        ["name": "鸡肉饭", "price": 2_800, "count": 1, "image_url": images + "/choice_2"],
                    ],
                ]
            ]
        case .progressiveBundle:
            body["progressive_bundle_usage_info"] = ["count": 5, "interval_days": 1]
        }
        body["display_info"] = display
        if state == "DEACTIVATED" {
            body["deactivate_request_no"] = "deactivate_\(id)"
            body["deactivate_time"] = Self.rfc3339Beijing(completesAt)
            body["deactivate_reason"] = "品牌方主动失效"
        }
        return body
    }

    /// `2015-05-20T13:29:35+08:00`: the format the coupon document gives for `deactivate_time`.
    static func rfc3339Beijing(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ssxxx"
        return formatter.string(from: date)
    }
}

/// The designs a simulated coupon can have: together they cover every structure of the document's answer.
package enum SimulatedCouponDesign: CaseIterable, Sendable {
    /// The document's example: 全场 8 折, `single_usage_info.discount_coupon`.
    case discount
    /// 全场满减, `single_usage_info.normal_coupon`.
    case normal
    /// 单品兑换券 with an original price and a combo package of choices.
    case exchange
    /// 多次优惠: `progressive_bundle_usage_info`.
    case progressiveBundle

    /// The design of coupon `couponID`: the same for every answer and every run.
    package init(couponID: String) {
        let sum = couponID.utf8.reduce(0) { $0 &+ Int($1) }
        self = Self.allCases[sum % Self.allCases.count]
    }

    /// `display_info.name` (3–15 characters).
    package var name: String {
        switch self {
        case .discount: "全场满100立打8折"
        case .normal: "全场满100减20"
        case .exchange: "单人套餐兑换券"
        case .progressiveBundle: "咖啡五次满减券"
        }
    }

    /// `scope`.
    package var scope: String {
        switch self {
        case .discount, .normal: "ALL"
        case .exchange, .progressiveBundle: "SINGLE"
        }
    }

    /// `type`.
    package var type: String {
        switch self {
        case .discount: "DISCOUNT"
        case .normal, .progressiveBundle: "NORMAL"
        case .exchange: "EXCHANGE"
        }
    }

    /// `usage_mode`.
    package var usageMode: String { self == .progressiveBundle ? "PROGRESSIVE_BUNDLE" : "SINGLE" }
}
