import WatcherStore

/// Why a new row cannot be watched.
package enum RowProblem: Sendable, Equatable, CustomStringConvertible {
    /// `merchant_id` names no configured merchant.
    case unknownMerchant(String)
    /// A column holds what WeChat Pay would refuse; the text names the column and its value.
    case invalidColumn(String)

    /// The text a `REJECTED` row's `error` holds.
    package var description: String {
        switch self {
        case .unknownMerchant(let merchant):
            "merchant_id \(RowValidation.quoted(merchant)) is not a configured merchant"
        case .invalidColumn(let problem): problem
        }
    }
}

extension RowUpdate {
    /// Ends the watch as `REJECTED`, with the problem as the row's error and the transition's detail.
    package mutating func reject(_ problem: RowProblem) {
        newState = LocalState.rejected
        isTerminal = true
        error = .set(problem.description)
        transitionDetail = problem.description
    }
}

/// The one validation of a new row, used by intake and by `enqueue`: the checks every watched table shares, then
/// the kind's own.
package enum RowValidation {
    /// Nil when the daemon can watch `row`; otherwise the first problem: the merchant, the brand, the kind's columns.
    package static func problem(with row: QueuedRow, kind: any ResourceKind, merchants: Set<String>) -> RowProblem? {
        if let unreadable = row.unreadable { return .invalidColumn(unreadable) }
        if !merchants.contains(row.merchantID) { return .unknownMerchant(row.merchantID) }
        if let problem = brandProblem(row.brandID) ?? kind.validate(row) { return .invalidColumn(problem) }
        return nil
    }

    /// Nil when `brand` is a plausible brand id: 1–64 characters of `[0-9A-Za-z_-]`.
    package static func brandProblem(_ brand: String) -> String? {
        if brand.isEmpty { return "brand_id is empty" }
        if brand.utf8.count > 64 { return "brand_id is longer than 64 characters" }
        if !brand.utf8.allSatisfy(isIdentifierByte) {
            return "brand_id \(quoted(brand)) contains characters other than [0-9A-Za-z_-]"
        }
        return nil
    }

    /// Nil when `id` has `minimum`…`maximum` characters of `[0-9A-Za-z_-]`; otherwise the problem, naming `column`.
    package static func identifierProblem(_ id: String, column: String, minimum: Int, maximum: Int) -> String? {
        let length = id.count
        if length < minimum || length > maximum {
            return "\(column) \(quoted(id)) has \(length) characters; it must have \(minimum) to \(maximum)"
        }
        if !id.utf8.allSatisfy(isIdentifierByte) {
            return "\(column) \(quoted(id)) contains characters other than [0-9A-Za-z_-]"
        }
        return nil
    }

    /// `value` quoted for an error, by its first 64 characters when longer: a producer's 30 MiB id must not be
    /// copied into every error, transition and log line about it.
    package static func quoted(_ value: String) -> String {
        guard value.count > shownCharacters else { return value.debugDescription }
        return String(value.prefix(shownCharacters)).debugDescription + "… (\(value.count) characters)"
    }

    /// `value` for a log field, by its first 64 characters when longer.
    package static func shortened(_ value: String) -> String {
        guard value.count > shownCharacters else { return value }
        return String(value.prefix(shownCharacters)) + "… (\(value.count) characters)"
    }

    private static let shownCharacters = 64

    static func isIdentifierByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
