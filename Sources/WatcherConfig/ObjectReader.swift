/// Typed access to the members of one JSON object, reporting every missing key, unknown key and wrong type to
/// ``Diagnostics``. Each accessor returns `nil` when the key is absent or its value is unusable; the caller
/// applies the default, which is harmless after a problem because then no configuration is returned.
struct ObjectReader {
    let path: KeyPath
    private let members: [String: JSONValue]
    private let diagnostics: Diagnostics

    /// A reader for `value`, which must be an object whose keys are all in `keys`.
    init?(_ value: JSONValue, at path: KeyPath, keys: [String], diagnostics: Diagnostics) {
        guard case .object(let members) = value else {
            diagnostics.problem(Self.mismatch(at: path, expected: "an object", found: value))
            return nil
        }
        for member in members where !keys.contains(member.key) {
            let hint = KeySuggestion.hint(for: member.key, among: keys)
            diagnostics.problem("unknown key \(JSONValue.quoted(member.key)) \(path.location)\(hint)")
        }
        self.path = path
        self.members = Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        self.diagnostics = diagnostics
    }

    /// The member `key`; reports it when it is required and absent. With `nullable`, `null` counts as absent.
    func value(_ key: String, required: Bool = false, nullable: Bool = false) -> JSONValue? {
        guard let value = members[key] else {
            if required { diagnostics.problem("missing required key \(key.debugDescription) \(path.location)") }
            return nil
        }
        return nullable && value == .null ? nil : value
    }

    /// A string member.
    func string(_ key: String, required: Bool = false, nullable: Bool = false) -> String? {
        guard let value = value(key, required: required, nullable: nullable) else { return nil }
        guard case .string(let string) = value else { return mismatch(key, expected: "a string", found: value) }
        return string
    }

    /// A number member within `range`.
    func number(_ key: String, in range: NumberRange) -> Double? {
        guard let value = value(key) else { return nil }
        guard case .number(let number) = value else { return mismatch(key, expected: range.kind, found: value) }
        if range.integer, number != number.rounded() { return mismatch(key, expected: range.kind, found: value) }
        guard range.contains(number) else {
            let shown = JSONValue.format(number)
            diagnostics.problem("\(path.appending(key)): \(shown) is out of range; expected \(range.expectation)")
            return nil
        }
        return number
    }

    /// An object member, read with its own reader.
    func object(_ key: String, keys: [String]) -> ObjectReader? {
        value(key).flatMap { ObjectReader($0, at: path.appending(key), keys: keys, diagnostics: diagnostics) }
    }

    /// An array member.
    func array(_ key: String, required: Bool = false) -> [JSONValue]? {
        guard let value = value(key, required: required) else { return nil }
        guard case .array(let elements) = value else { return mismatch(key, expected: "an array", found: value) }
        return elements
    }

    /// Reports a problem about the member `key`'s value, such as a value that breaks a rule.
    func problem(_ key: String, _ text: String) { diagnostics.problem("\(path.appending(key)): \(text)") }

    /// Reports a warning about the member `key`.
    func warning(_ key: String, _ text: String) { diagnostics.warning("\(path.appending(key)) \(text)") }

    private func mismatch<Value>(_ key: String, expected: String, found: JSONValue) -> Value? {
        diagnostics.problem(Self.mismatch(at: path.appending(key), expected: expected, found: found))
        return nil
    }

    private static func mismatch(at path: KeyPath, expected: String, found: JSONValue) -> String {
        let subject = path.description.isEmpty ? "the top level" : path.description
        return "\(subject): expected \(expected), found \(found.foundDescription)"
    }
}

/// The values a number key accepts.
struct NumberRange {
    var minimum: Double
    var minimumIsExclusive = false
    var maximum: Double
    var integer = false

    /// `a number`, or `an integer` for counts.
    var kind: String { integer ? "an integer" : "a number" }

    /// `a number greater than 0 and at most 300`, `an integer from 1 to 1000`.
    var expectation: String {
        let low = JSONValue.format(minimum)
        let high = JSONValue.format(maximum)
        return minimumIsExclusive ? "\(kind) greater than \(low) and at most \(high)" : "\(kind) from \(low) to \(high)"
    }

    func contains(_ number: Double) -> Bool {
        (minimumIsExclusive ? number > minimum : number >= minimum) && number <= maximum
    }
}
