/// A request to a WeChat Pay APIv3 endpoint, reduced to what is signed: the method and the canonical URL.
///
/// Path segments and query values are percent-encoded exactly once, here; the resulting string is both what is
/// signed (the second line of the signed message) and what is sent, so the two can never disagree.
package struct APIRequest: Sendable, Equatable, CustomStringConvertible {
    /// The HTTP method; the watcher only sends `GET`.
    package var method: String
    /// Path and query as sent on the wire, e.g. `/v3/…/image-generation-tasks/task_1?brand_id=120344&…`.
    package var canonicalURL: String

    /// Builds a request from a path template's literal parts and the values that fill it.
    ///
    /// - Parameters:
    ///   - pathSegments: the path, one element per segment; each is percent-encoded.
    ///   - query: name and value pairs, kept in the given order; each is percent-encoded.
    package init(method: String = "GET", pathSegments: [String], query: [(name: String, value: String)] = []) {
        self.method = method
        var url = pathSegments.map { "/" + Self.percentEncode($0) }.joined()
        if !query.isEmpty {
            url +=
                "?"
                + query.map { Self.percentEncode($0.name) + "=" + Self.percentEncode($0.value) }.joined(separator: "&")
        }
        self.canonicalURL = url
    }

    /// Wraps an already-canonical URL (used by the `sign` troubleshooting command).
    package init(method: String, canonicalURL: String) {
        self.method = method
        self.canonicalURL = canonicalURL
    }

    /// A human-readable account, for logs and error messages.
    package var description: String { "\(method) \(canonicalURL)" }

    /// Percent-encoding of everything but the unreserved characters, so the result is the same whatever
    /// URL parser sits between us and the wire.
    package static func percentEncode(_ text: String) -> String {
        var encoded = ""
        encoded.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + hexDigit(byte >> 4) + hexDigit(byte & 0x0F)
            }
        }
        return encoded
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    private static func hexDigit(_ value: UInt8) -> String {
        String(UnicodeScalar(value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "A") + value - 10))
    }
}
