/// The value of one log field.
///
/// Literals pick the case, so call sites read naturally: `["task_id": "abc", "attempt": 3, "paused": true]`.
/// There is deliberately no case for raw bytes, headers or dictionaries: a field holds one scalar a human reads.
package enum LogValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByStringInterpolation,
    CustomStringConvertible
{
    /// Text, quoted in the text format when it contains spaces, quotes, `=` or non-ASCII.
    case string(String)
    /// An integer, a JSON number.
    case int(Int)
    /// A floating-point number, a JSON number when finite (`"nan"`, `"inf"`, `"-inf"` as JSON strings).
    case double(Double)
    /// A flag, a JSON boolean.
    case bool(Bool)

    /// A string literal is a `.string`.
    package init(stringLiteral value: String) { self = .string(value) }

    /// An interpolated string is a `.string`.
    package init(stringInterpolation: DefaultStringInterpolation) {
        self = .string(String(stringInterpolation: stringInterpolation))
    }

    /// An integer literal is an `.int`.
    package init(integerLiteral value: Int) { self = .int(value) }

    /// A floating-point literal is a `.double`.
    package init(floatLiteral value: Double) { self = .double(value) }

    /// `true` and `false` are a `.bool`.
    package init(booleanLiteral value: Bool) { self = .bool(value) }

    /// The value as it reads, unquoted: the string itself, `42`, `0.5`, `true`.
    package var description: String {
        switch self {
        case .string(let value): value
        case .int(let value): String(value)
        case .double(let value): String(value)
        case .bool(let value): value ? "true" : "false"
        }
    }
}

/// One `key=value` pair of a log record. Keys are short snake_case names chosen in code (`task_id`, `merchant`).
///
/// A struct rather than a `(key:value:)` tuple so that `LogRecord` can be `Equatable` and arrays of fields can be
/// built and compared in tests.
package struct LogField: Sendable, Equatable, CustomStringConvertible {
    /// The field's name.
    package var key: String
    /// The field's value.
    package var value: LogValue

    /// A field named `key` holding `value`.
    package init(key: String, value: LogValue) {
        self.key = key
        self.value = value
    }

    /// `key=value`, unquoted; for debugging, not the log format.
    package var description: String { "\(key)=\(value)" }
}

extension Array where Element == LogField {
    /// The fields of a dictionary literal, in the order written.
    init(_ pairs: KeyValuePairs<String, LogValue>) {
        self = pairs.map { LogField(key: $0.key, value: $0.value) }
    }
}
