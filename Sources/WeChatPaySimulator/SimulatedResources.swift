import Foundation

/// The two APIs the simulator serves, named like the watcher's resources.
public enum SimulatedAPI: String, Sendable, CaseIterable, Codable {
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
public enum SimulatedOutcome: String, Sendable, Codable {
    /// `SUCCESS` for a task, `EFFECTIVE` for a coupon.
    case success
    /// `FAIL` for a task, `DEACTIVATED` for a coupon.
    case failure
}

/// One simulated resource: an image-generation task or a product coupon.
public struct SimulatedResource: Sendable, Equatable {
    /// Which API serves it.
    public var api: SimulatedAPI
    /// The merchant that owns it.
    public var mchid: String
    /// The task id or coupon id.
    public var id: String
    /// The brand it belongs to; queries naming another brand are refused.
    public var brandID: String
    /// For tasks: `COMBINE_IMAGE` or `CUT_OUT`.
    public var imageGenerationType: String?
    /// Wall-clock time it was created.
    public var createdAt: Date
    /// Seconds from creation to its final state.
    public var duration: Double
    /// How it ends.
    public var outcome: SimulatedOutcome
    /// Before this time the API answers 404 (a resource not yet visible).
    public var visibleAt: Date?

    /// Creates a resource.
    public init(
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
    public var completesAt: Date { createdAt.addingTimeInterval(duration) }

    /// Its state at `now`, in the API's words.
    public func state(at now: Date) -> String {
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
    public var finalState: String { state(at: .distantFuture) }

    /// The URL a successful task reports; deterministic so tests can check the stored one.
    public var imageURL: String {
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

    private func couponAnswer(at now: Date) -> [String: Any] {
        let state = state(at: now)
        var body: [String: Any] = [
            "product_coupon_id": id,
            "scope": "ALL",
            "type": "DISCOUNT",
            "usage_mode": "SINGLE",
            "single_usage_info": ["discount_coupon": ["threshold": 10000, "percent_off": 20]],
            "display_info": [
                "name": "全场满100立打8折",
                "image_url": "https://wxpaylogo.qpic.cn/wxpaylogo/simulated/\(id)/image",
                "background_url": "https://wxpaylogo.qpic.cn/wxpaylogo/simulated/\(id)/background",
                "detail_image_url_list": ["https://wxpaylogo.qpic.cn/wxpaylogo/simulated/\(id)/detail"],
            ],
            "out_product_no": "Product_\(id)",
            "state": state,
            "brand_id": brandID,
        ]
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
