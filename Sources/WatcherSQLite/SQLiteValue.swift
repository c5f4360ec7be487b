/// A value stored in or bound to SQLite, one case per storage class.
package enum SQLiteValue: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByNilLiteral
{
    /// NULL.
    case null
    /// A 64-bit integer.
    case integer(Int64)
    /// A double.
    case real(Double)
    /// UTF-8 text.
    case text(String)
    /// Bytes.
    case blob([UInt8])

    /// Creates the value from a string literal.
    package init(stringLiteral value: String) { self = .text(value) }
    /// Creates the value from a integer literal.
    package init(integerLiteral value: Int64) { self = .integer(value) }
    /// Creates the value from a floating-point literal.
    package init(floatLiteral value: Double) { self = .real(value) }
    /// Creates the value from a nil literal.
    package init(nilLiteral: ()) { self = .null }

    /// The text, for `.text` only.
    package var stringValue: String? {
        if case .text(let text) = self { return text }
        return nil
    }

    /// The integer, for `.integer`, or a `.real` with an integral value.
    package var int64Value: Int64? {
        switch self {
        case .integer(let value): value
        case .real(let value) where value.rounded() == value && abs(value) < 9.2e18: Int64(value)
        default: nil
        }
    }

    /// The number, for `.real` or `.integer`.
    package var doubleValue: Double? {
        switch self {
        case .real(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }

    /// True for NULL.
    package var isNull: Bool { self == .null }
}

/// One result row: values by position or by column name.
package struct SQLiteRow: Sendable {
    /// The column names, in order.
    package let columnNames: [String]
    let values: [SQLiteValue]

    /// The value at `index`, or `.null` when out of range.
    package subscript(_ index: Int) -> SQLiteValue {
        values.indices.contains(index) ? values[index] : .null
    }

    /// The value of the column called `column`, or `.null` if there is none.
    package subscript(_ column: String) -> SQLiteValue {
        columnNames.firstIndex(of: column).map { values[$0] } ?? .null
    }
}
