/// The quoting rules of both line formats, shared by the formatter and the parser.
package enum LogEscaping {
    /// Printable ASCII other than space, `"`, `=` and `\`: the bytes a text value may hold unquoted.
    static func isBare(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "=")
            && byte != UInt8(ascii: "\\")
    }

    /// Whether a text value can be written without quotes.
    static func isBare(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.allSatisfy(isBare)
    }

    /// Appends an event name or key, which the text format never quotes: other bytes become `_` so the line
    /// still splits on spaces and `=`. Names are chosen in code, so this only guards against mistakes.
    static func appendTextName(_ name: String, to line: inout String) {
        if isBare(name) {
            line += name
        } else if name.isEmpty {
            line += "_"
        } else {
            for scalar in name.unicodeScalars {
                line.unicodeScalars.append(scalar.isASCII && isBare(UInt8(scalar.value)) ? scalar : "_")
            }
        }
    }

    /// Appends a text value, bare when possible, otherwise quoted with `\"`, `\\`, `\n`, `\r`, `\t` and
    /// `\u{XX}` for other control characters; other non-ASCII stays UTF-8.
    static func appendTextValue(_ value: String, to line: inout String) {
        guard !isBare(value) else {
            line += value
            return
        }
        line += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where isControl(scalar): line += "\\u{" + hex(scalar.value, minimumDigits: 2) + "}"
            default: line.unicodeScalars.append(scalar)
            }
        }
        line += "\""
    }

    /// Appends `value` as a JSON string: quotes, backslashes and C0 controls escaped, the rest UTF-8.
    package static func appendJSONString(_ value: String, to line: inout String) {
        line += "\""
        if value.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            line += value
        } else {
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": line += "\\\""
                case "\\": line += "\\\\"
                case "\n": line += "\\n"
                case "\r": line += "\\r"
                case "\t": line += "\\t"
                case "\u{08}": line += "\\b"
                case "\u{0C}": line += "\\f"
                case _ where scalar.value < 0x20: line += "\\u" + hex(scalar.value, minimumDigits: 4)
                default: line.unicodeScalars.append(scalar)
                }
            }
        }
        line += "\""
    }

    /// C0 controls, DEL and C1 controls: characters that would move a terminal's cursor or hide text.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    private static func hex(_ value: UInt32, minimumDigits: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, minimumDigits - digits.count)) + digits
    }
}
