/// One header field as it travelled on the wire.
///
/// The name keeps the sender's spelling because logs and signature checks should see exactly what was sent;
/// look fields up with `HTTPServerRequest.header(_:)`, which ignores case as HTTP requires.
package struct HTTPServerHeader: Sendable, Equatable {
    /// The field name as received, or as the handler wrote it.
    package var name: String
    /// The field value without the optional whitespace that surrounds it on the wire.
    package var value: String

    /// Creates a header field; `HTTPServerHeader("Content-Type", "application/json")`.
    package init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

extension [HTTPServerHeader] {
    /// The value of the first field called `name`, compared case-insensitively as HTTP requires.
    func firstValue(named name: String) -> String? {
        first { $0.name.equalsIgnoringASCIICase(name) }?.value
    }

    /// Whether any field called `name` carries `token` in its comma-separated list (`Connection: keep-alive, close`).
    func containsToken(_ token: String, inFieldNamed name: String) -> Bool {
        contains { header in
            header.name.equalsIgnoringASCIICase(name)
                && header.value.split(separator: ",").contains {
                    String($0).trimmingHTTPWhitespace().equalsIgnoringASCIICase(token)
                }
        }
    }
}

extension String {
    /// Field names and tokens are ASCII; comparing bytes avoids two lowercased copies per lookup.
    func equalsIgnoringASCIICase(_ other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        return zip(utf8, other.utf8).allSatisfy { ASCII.lowercased($0) == ASCII.lowercased($1) }
    }

    /// Drops the spaces and tabs HTTP allows around list elements and field values.
    func trimmingHTTPWhitespace() -> String {
        String(decoding: ASCII.trimmingWhitespace(Array(utf8)[...]), as: UTF8.self)
    }
}

/// The few byte classes the HTTP/1.1 grammar needs, spelled out so the parser reads like the grammar.
enum ASCII {
    static let carriageReturn: UInt8 = 0x0D
    static let lineFeed: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A

    static func lowercased(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte + 0x20 : byte
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == space || byte == tab
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte)
    }

    /// HTTP's `tchar`: the characters allowed in methods and field names.
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default: false
        }
    }

    /// Drops the optional whitespace (`OWS`) around a field value or list element.
    static func trimmingWhitespace(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        guard let first = bytes.firstIndex(where: { !isWhitespace($0) }),
            let last = bytes.lastIndex(where: { !isWhitespace($0) })
        else { return [] }
        return bytes[first...last]
    }

    /// Visible ASCII (`VCHAR`): what a request-target may contain; percent-escapes carry everything else.
    static func isVisible(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte)
    }
}
