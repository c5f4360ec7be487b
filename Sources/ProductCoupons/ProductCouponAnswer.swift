import WatcherEngine

/// The answer of 查询商品券 (`GET /v3/marketing/partner/product-coupon/product-coupons/{product_coupon_id}`),
/// field for field as the document gives it. Every field is optional here so that a missing one is reported by
/// the kind's checks by name rather than as a decoding failure; enumerations other than `state` are kept as the
/// platform's words (``OpenEnum``), because the platform adds values over time.
package struct ProductCouponAnswer: Decodable, Sendable, Equatable {
    /// 商品券ID, up to 40 characters.
    package var productCouponID: String?
    /// 优惠范围: `ALL` or `SINGLE`.
    package var scope: OpenEnum<CouponScope>?
    /// 商品券类型: `NORMAL`, `DISCOUNT` or `EXCHANGE`.
    package var type: OpenEnum<CouponType>?
    /// 使用模式: `SINGLE` or `PROGRESSIVE_BUNDLE`.
    package var usageMode: OpenEnum<UsageMode>?
    /// 单券模式信息, only when `usage_mode` is `SINGLE`.
    package var singleUsageInfo: SingleUsageInfo?
    /// 多次优惠模式信息, only when `usage_mode` is `PROGRESSIVE_BUNDLE`.
    package var progressiveBundleUsageInfo: ProgressiveBundleUsageInfo?
    /// 展示信息.
    package var displayInfo: DisplayInfo?
    /// 外部商品ID, as the merchant gave it.
    package var outProductNo: String?
    /// 商品券状态, as received. Unlike the other enumerations it is not open: ``couponState`` is nil for a value
    /// the document does not list, and the kind does not believe such an answer.
    package var state: String?
    /// 失效请求单号, only when `DEACTIVATED`.
    package var deactivateRequestNo: String?
    /// 失效时间 (RFC 3339), only when `DEACTIVATED`.
    package var deactivateTime: String?
    /// 失效原因, only when `DEACTIVATED`.
    package var deactivateReason: String?
    /// 品牌ID.
    package var brandID: String?

    enum CodingKeys: String, CodingKey {
        case productCouponID = "product_coupon_id"
        case scope, type, state
        case usageMode = "usage_mode"
        case singleUsageInfo = "single_usage_info"
        case progressiveBundleUsageInfo = "progressive_bundle_usage_info"
        case displayInfo = "display_info"
        case outProductNo = "out_product_no"
        case deactivateRequestNo = "deactivate_request_no"
        case deactivateTime = "deactivate_time"
        case deactivateReason = "deactivate_reason"
        case brandID = "brand_id"
    }

    /// Why a part of the answer the watch only keeps in `coupon_json` (the usage information, a price or count of
    /// the display information) could not be read, e.g. `85.5` or a number past 64 bits where the document says
    /// integer; nil when everything decoded. Such a part is absent here, and never costs the state.
    package var unreadable: String?

    /// Decodes the fields the watch acts on strictly, and the parts it only keeps leniently (see ``unreadable``).
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        productCouponID = try container.decodeIfPresent(String.self, forKey: .productCouponID)
        scope = try container.decodeIfPresent(OpenEnum<CouponScope>.self, forKey: .scope)
        type = try container.decodeIfPresent(OpenEnum<CouponType>.self, forKey: .type)
        usageMode = try container.decodeIfPresent(OpenEnum<UsageMode>.self, forKey: .usageMode)
        outProductNo = try container.decodeIfPresent(String.self, forKey: .outProductNo)
        state = try container.decodeIfPresent(String.self, forKey: .state)
        deactivateRequestNo = try container.decodeIfPresent(String.self, forKey: .deactivateRequestNo)
        deactivateTime = try container.decodeIfPresent(String.self, forKey: .deactivateTime)
        deactivateReason = try container.decodeIfPresent(String.self, forKey: .deactivateReason)
        brandID = try container.decodeIfPresent(String.self, forKey: .brandID)
        var problems: [String] = []
        func leniently<Part: Decodable>(_ key: CodingKeys) -> Part? {
            do {
                return try container.decodeIfPresent(Part.self, forKey: key)
            } catch {
                problems.append(AnswerChecks.describe(error))
                return nil
            }
        }
        singleUsageInfo = leniently(.singleUsageInfo)
        progressiveBundleUsageInfo = leniently(.progressiveBundleUsageInfo)
        let readSoFar = problems.count
        displayInfo = leniently(.displayInfo)
        if problems.count > readSoFar {
            // The name has a column of its own: keep it when only a price or count around it is unreadable.
            displayInfo = (try? container.decodeIfPresent(DisplayName.self, forKey: .displayInfo))
                .map { DisplayInfo(name: $0.name) }
        }
        unreadable = problems.first
    }

    private struct DisplayName: Decodable {
        var name: String?
    }

    /// 商品券状态, strictly as the document lists them; nil when `state` is missing or unknown.
    package var couponState: CouponState? { state.flatMap(CouponState.init(rawValue:)) }

    /// 商品券状态: the only enumeration whose unknown values are not believed, because the watch acts on it.
    package enum CouponState: String, Sendable, CaseIterable {
        /// 审批中: not usable until the audit ends.
        case auditing = "AUDITING"
        /// 生效中: the coupon can be used.
        case effective = "EFFECTIVE"
        /// 已失效: the brand deactivated it; `deactivate_*` say when and why.
        case deactivated = "DEACTIVATED"
    }

    /// 优惠范围.
    package enum CouponScope: String, Sendable, CaseIterable {
        /// 全场券.
        case all = "ALL"
        /// 单品券.
        case single = "SINGLE"
    }

    /// 商品券类型.
    package enum CouponType: String, Sendable, CaseIterable {
        /// 满减券.
        case normal = "NORMAL"
        /// 折扣券.
        case discount = "DISCOUNT"
        /// 兑换券 (single-product coupons only).
        case exchange = "EXCHANGE"
    }

    /// 使用模式.
    package enum UsageMode: String, Sendable, CaseIterable {
        /// 单券: used once.
        case single = "SINGLE"
        /// 多次优惠: a sequence of batches used in order.
        case progressiveBundle = "PROGRESSIVE_BUNDLE"
    }

    /// 单券模式信息.
    package struct SingleUsageInfo: Decodable, Sendable, Equatable {
        /// 满减券使用规则.
        package var normalCoupon: NormalCouponRule?
        /// 折扣券使用规则.
        package var discountCoupon: DiscountCouponRule?

        enum CodingKeys: String, CodingKey {
            case normalCoupon = "normal_coupon"
            case discountCoupon = "discount_coupon"
        }
    }

    /// 满减券使用规则: amounts in fen.
    package struct NormalCouponRule: Decodable, Sendable, Equatable {
        /// 门槛.
        package var threshold: Int64?
        /// 优惠金额.
        package var discountAmount: Int64?

        enum CodingKeys: String, CodingKey {
            case threshold
            case discountAmount = "discount_amount"
        }
    }

    /// 折扣券使用规则.
    package struct DiscountCouponRule: Decodable, Sendable, Equatable {
        /// 门槛, in fen.
        package var threshold: Int64?
        /// 折扣百分比.
        package var percentOff: Int64?

        enum CodingKeys: String, CodingKey {
            case threshold
            case percentOff = "percent_off"
        }
    }

    /// 多次优惠模式信息.
    package struct ProgressiveBundleUsageInfo: Decodable, Sendable, Equatable {
        /// 可使用次数 (3–15).
        package var count: Int64?
        /// 使用间隔天数 (≤ 7).
        package var intervalDays: Int64?

        enum CodingKeys: String, CodingKey {
            case count
            case intervalDays = "interval_days"
        }
    }

    /// 展示信息.
    package struct DisplayInfo: Decodable, Sendable, Equatable {
        /// 商品券名称 (3–15 characters).
        package var name: String?
        /// 商品券图片.
        package var imageURL: String?
        /// 商品券背景图.
        package var backgroundURL: String?
        /// 商品券详情图列表 (≤ 8).
        package var detailImageURLs: [String]?
        /// 商品原价, in fen.
        package var originalPrice: Int64?
        /// 套餐组合.
        package var comboPackages: [ComboPackage]?

        enum CodingKeys: String, CodingKey {
            case name
            case imageURL = "image_url"
            case backgroundURL = "background_url"
            case detailImageURLs = "detail_image_url_list"
            case originalPrice = "original_price"
            case comboPackages = "combo_package_list"
        }
    }

    /// 套餐组合.
    package struct ComboPackage: Decodable, Sendable, Equatable {
        /// 套餐名称.
        package var name: String?
        /// 可选数量.
        package var pickCount: Int64?
        /// 可选项.
        package var choices: [ComboChoice]?

        enum CodingKeys: String, CodingKey {
            case name
            case pickCount = "pick_count"
            case choices = "choice_list"
        }
    }

    /// 套餐可选项.
    package struct ComboChoice: Decodable, Sendable, Equatable {
        /// 名称.
        package var name: String?
        /// 价格, in fen.
        package var price: Int64?
        /// 数量.
        package var count: Int64?
        /// 图片.
        package var imageURL: String?
        /// 小程序 AppID.
        package var miniProgramAppID: String?
        /// 小程序路径.
        package var miniProgramPath: String?

        enum CodingKeys: String, CodingKey {
            case name, price, count
            case imageURL = "image_url"
            case miniProgramAppID = "mini_program_appid"
            case miniProgramPath = "mini_program_path"
        }
    }
}

/// An enumeration the platform may extend: a known case, or the platform's word kept verbatim.
package enum OpenEnum<Known: RawRepresentable & Sendable & Equatable>: Decodable, Sendable, Equatable
where Known.RawValue == String {
    /// A value this program knows.
    case known(Known)
    /// A value it does not know (yet), kept as received.
    case other(String)

    /// Decodes from a JSON string.
    package init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        self = Known(rawValue: raw).map(Self.known) ?? .other(raw)
    }

    /// The platform's word.
    package var rawValue: String {
        switch self {
        case .known(let value): value.rawValue
        case .other(let raw): raw
        }
    }
}
