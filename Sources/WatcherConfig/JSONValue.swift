import Foundation

/// A JSON value that keeps booleans and numbers apart.
///
/// `JSONSerialization` on Linux hands back `NSNumber` for both, and `NSNumber(1) is Bool` is true there, so the
/// file is decoded with `JSONDecoder`, whose `Bool` decoding refuses numbers and whose `Double` decoding refuses
/// booleans. Object members are kept in key order, which makes problems and encoded files deterministic.
indirect enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    init(from decoder: any Decoder) throws {
        if var elements = try? decoder.unkeyedContainer() {
            var array: [JSONValue] = []
            while !elements.isAtEnd { array.append(try elements.decode(JSONValue.self)) }
            self = .array(array)
        } else if let members = try? decoder.container(keyedBy: MemberKey.self) {
            self = .object(
                try members.allKeys.map { JSONMember($0.stringValue, try members.decode(JSONValue.self, forKey: $0)) }
                    .sorted { $0.key < $1.key }
            )
        } else {
            self = try Self.scalar(decoder.singleValueContainer())
        }
    }

    private static func scalar(_ container: any SingleValueDecodingContainer) throws -> JSONValue {
        if container.decodeNil() { return .null }
        if let bool = try? container.decode(Bool.self) { return .bool(bool) }
        do {
            return .number(try container.decode(Double.self))
        } catch DecodingError.typeMismatch {
            return .string(try container.decode(String.self))
        }
    }

    /// What a problem says was found instead of the expected type: `the string "20"`, `the boolean true`, `null`.
    var foundDescription: String {
        switch self {
        case .null: "null"
        case .bool(let bool): "the boolean \(bool)"
        case .number(let number): "the number \(JSONValue.format(number))"
        case .string(let string): "the string \(JSONValue.quoted(string))"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// A number as an operator wrote it: `10`, not `10.0`.
    static func format(_ number: Double) -> String {
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return String(number)
    }

    /// A value quoted for a message, escaped and cut short so one bad value cannot flood the log.
    static func quoted(_ string: String) -> String {
        let limit = 80
        guard string.count > limit else { return string.debugDescription }
        return String(string.prefix(limit)).debugDescription + "…"
    }
}

/// One `"key": value` pair of a JSON object.
struct JSONMember: Equatable {
    var key: String
    var value: JSONValue

    init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// Any object key, so that unknown keys can be found and reported.
private struct MemberKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
