import Foundation

/// Checks of values in verified answers that every kind applies the same way.
package enum AnswerChecks {
    /// The longest URL stored; anything longer is not a real image link.
    package static let maximumURLLength = 2_048

    /// Nil when `url` is an absolute `https://` URL with a host and a sane length; otherwise the problem.
    package static func httpsURLProblem(_ url: String, field: String) -> String? {
        if url.isEmpty { return "\(field) is empty" }
        if url.utf8.count > maximumURLLength {
            return "\(field) is \(url.utf8.count) bytes long (limit \(maximumURLLength))"
        }
        guard url.lowercased().hasPrefix("https://") else {
            return "\(field) \(excerpt(url).debugDescription) is not an https:// URL"
        }
        guard let parsed = URLComponents(string: url), let host = parsed.host, !host.isEmpty else {
            return "\(field) \(excerpt(url).debugDescription) is not a valid URL"
        }
        if url.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }) {
            return "\(field) contains spaces or control characters"
        }
        return nil
    }

    /// Describes a decoding error in one line for the row's `error` column.
    package static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .dataCorrupted(let context)?:
            return "invalid JSON: \(context.debugDescription)"
        case .typeMismatch(let type, let context)?:
            return "field \(path(context)) is not \(type)"
        case .valueNotFound(let type, let context)?:
            return "field \(path(context)) is null, expected \(type)"
        case .keyNotFound(let key, let context)?:
            return "field \(path(context, key))is missing"
        default:
            return "invalid JSON: \(error)"
        }
    }

    private static func path(_ context: DecodingError.Context, _ key: (any CodingKey)? = nil) -> String {
        let keys = context.codingPath + (key.map { [$0] } ?? [])
        let path = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        return key == nil ? path : path + " "
    }

    private static func excerpt(_ text: String) -> String {
        text.count > 80 ? String(text.prefix(80)) + "…" : text
    }
}
