/// Reads log lines back, for tests and for the status command that summarises a log file.
package enum LogLineParser {
    /// The record a `LogLineFormatter.text` line describes, or nil if `line` is not one.
    ///
    /// Every value comes back as `.string` (the text format does not keep types) and the timestamp has millisecond
    /// precision. One trailing newline is ignored, so lines split from a file parse as they are.
    package static func parseText(_ line: String) -> LogRecord? {
        var bytes = Array(line.utf8)
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        var reader = TextLineReader(bytes: bytes)
        guard let timestamp = Timestamp.parse(reader.word()), reader.skipSpace(),
            let level = LogLevel(rawValue: String(decoding: reader.word(), as: UTF8.self)), reader.skipSpace()
        else { return nil }
        let event = reader.word()
        guard !event.isEmpty else { return nil }
        var fields: [LogField] = []
        while !reader.isAtEnd {
            guard reader.skipSpace(), let field = reader.field() else { return nil }
            fields.append(field)
        }
        return LogRecord(
            timestamp: timestamp,
            level: level,
            event: String(decoding: event, as: UTF8.self),
            fields: fields
        )
    }
}

/// A cursor over the UTF-8 bytes of one text line. Every delimiter is ASCII, so multi-byte characters pass through
/// untouched.
private struct TextLineReader {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { index == bytes.count }

    /// Consumes one space, and fails unless something follows it.
    mutating func skipSpace() -> Bool {
        guard !isAtEnd, bytes[index] == UInt8(ascii: " ") else { return false }
        index += 1
        return !isAtEnd
    }

    /// The bytes up to the next space, `stop` byte or the end.
    mutating func word(stoppingAt stop: UInt8 = UInt8(ascii: " ")) -> ArraySlice<UInt8> {
        let start = index
        while !isAtEnd, bytes[index] != UInt8(ascii: " "), bytes[index] != stop { index += 1 }
        return bytes[start..<index]
    }

    /// `key=value` or `key="quoted value"`.
    mutating func field() -> LogField? {
        let key = word(stoppingAt: UInt8(ascii: "="))
        guard !key.isEmpty, !isAtEnd, bytes[index] == UInt8(ascii: "=") else { return nil }
        index += 1
        let value: [UInt8]
        if !isAtEnd, bytes[index] == UInt8(ascii: "\"") {
            guard let quoted = quotedValue() else { return nil }
            value = quoted
        } else {
            value = Array(word())
            guard !value.isEmpty else { return nil }
        }
        let name = String(decoding: key, as: UTF8.self)
        return LogField(key: name, value: .string(String(decoding: value, as: UTF8.self)))
    }

    /// The content of a quoted value with its escapes undone; the cursor starts on the opening quote.
    private mutating func quotedValue() -> [UInt8]? {
        index += 1
        var value: [UInt8] = []
        while !isAtEnd {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return value
            case UInt8(ascii: "\\"):
                guard let unescaped = escapeSequence() else { return nil }
                value += unescaped
            default:
                value.append(byte)
            }
        }
        return nil
    }

    /// The bytes an escape stands for; the cursor starts after the backslash.
    private mutating func escapeSequence() -> [UInt8]? {
        guard !isAtEnd else { return nil }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): return [byte]
        case UInt8(ascii: "n"): return [UInt8(ascii: "\n")]
        case UInt8(ascii: "r"): return [UInt8(ascii: "\r")]
        case UInt8(ascii: "t"): return [UInt8(ascii: "\t")]
        case UInt8(ascii: "u"): return unicodeEscape()
        default: return nil
        }
    }

    /// `{XX}` after `\u`: one to six hex digits naming a Unicode scalar.
    private mutating func unicodeEscape() -> [UInt8]? {
        guard !isAtEnd, bytes[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        let digits = word(stoppingAt: UInt8(ascii: "}"))
        guard (1...6).contains(digits.count), digits.allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }),
            !isAtEnd, bytes[index] == UInt8(ascii: "}"),
            let value = UInt32(String(decoding: digits, as: UTF8.self), radix: 16),
            let scalar = Unicode.Scalar(value)
        else { return nil }
        index += 1
        return Array(String(Character(scalar)).utf8)
    }
}
