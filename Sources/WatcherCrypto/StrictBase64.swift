/// Standard-alphabet Base64 (`+` and `/`), strict: padding required, length a multiple of 4, no whitespace, no URL-safe
/// characters, no data after padding. Anything else decodes to nil; nothing traps.
///
/// WeChat Pay's `WECHATPAY/SIGNTEST/…` probe signatures use only alphabet characters, so some of them decode
/// (to bytes of the wrong length); the verifier rejects them either way.
///
/// Decoding is also canonical: the unused bits before padding must be zero, so every byte string has exactly
/// one accepted encoding and a signature cannot be altered without changing its bytes.
package enum StrictBase64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let padding = UInt8(ascii: "=")

    /// Each input byte's 6-bit value, or nil for a byte outside the alphabet.
    private static let values: [UInt8?] = {
        var table = [UInt8?](repeating: nil, count: 256)
        for (value, character) in alphabet.enumerated() {
            table[Int(character)] = UInt8(value)
        }
        return table
    }()

    /// `bytes` in standard Base64 with `=` padding, no line breaks.
    package static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        for start in stride(from: 0, to: bytes.count, by: 3) {
            let group = bytes[start..<min(start + 3, bytes.count)]
            let word = group.reduce(0) { $0 << 8 | UInt32($1) } << (8 * (3 - UInt32(group.count)))
            for index in 0..<4 {
                let value = Int(word >> (18 - 6 * UInt32(index)) & 0x3F)
                output.append(index <= group.count ? alphabet[value] : padding)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes `text` encodes, or nil unless it is canonical, padded, standard-alphabet Base64.
    package static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 4 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(characters.count / 4 * 3)
        for start in stride(from: 0, to: characters.count, by: 4) {
            let isLast = start + 4 == characters.count
            guard let bytes = decodeQuantum(characters[start..<start + 4], isLast: isLast) else { return nil }
            output += bytes
        }
        return output
    }

    /// One 4-character group: 3 bytes, or 2 or 1 when the group is the last and ends in padding.
    private static func decodeQuantum(_ quantum: ArraySlice<UInt8>, isLast: Bool) -> [UInt8]? {
        let paddingCount = quantum.reversed().prefix { $0 == padding }.count
        guard paddingCount <= 2, paddingCount == 0 || isLast else { return nil }
        var word: UInt32 = 0
        for character in quantum.dropLast(paddingCount) {
            guard let value = values[Int(character)] else { return nil }
            word = word << 6 | UInt32(value)
        }
        word <<= 6 * UInt32(paddingCount)
        // Each "=" stands for 8 bits that carry no data; a canonical encoding leaves them zero.
        let unusedBits = word & ((1 << (8 * UInt32(paddingCount))) - 1)
        guard unusedBits == 0 else { return nil }
        let byteCount = 3 - paddingCount
        return (0..<byteCount).map { UInt8(truncatingIfNeeded: word >> (16 - 8 * UInt32($0))) }
    }
}
