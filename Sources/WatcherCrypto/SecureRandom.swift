import Glibc

/// Unpredictable values from the operating system's CSPRNG.
package enum SecureRandom {
    private static let alphanumerics = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    /// Bytes at or above this are drawn again: 248 is the largest multiple of 62 that fits a byte, so every
    /// character is equally likely.
    private static let acceptedBelow = UInt8(256 / 62 * 62)

    /// `count` characters of [0-9A-Za-z], for request nonces (the SDKs send 32).
    ///
    /// The bytes come from the kernel's CSPRNG (getrandom(2)) in one call for the whole nonce: drawing each
    /// character through `SystemRandomNumberGenerator` cost a system call per character, 30 per request.
    package static func alphanumeric(count: Int) -> String {
        precondition(count >= 0, "a nonce cannot have \(count) characters")
        precondition(count <= 200, "a nonce of \(count) characters is longer than one draw of random bytes covers")
        var characters: [UInt8] = []
        characters.reserveCapacity(count)
        // One byte in 32 is refused on average, so a draw of count + count / 8 + 8 bytes nearly always suffices.
        var bytes = [UInt8](repeating: 0, count: count + count / 8 + 8)
        while characters.count < count {
            fill(&bytes)
            for byte in bytes where byte < acceptedBelow && characters.count < count {
                characters.append(alphanumerics[Int(byte % 62)])
            }
        }
        return String(decoding: characters, as: UTF8.self)
    }

    /// Fills `bytes` (at most 256) from the kernel's CSPRNG; getentropy(3) is getrandom(2) and retries
    /// interruptions itself.
    private static func fill(_ bytes: inout [UInt8]) {
        let status = bytes.withUnsafeMutableBytes { getentropy($0.baseAddress, $0.count) }
        guard status != 0 else { return }
        // A kernel without getrandom(2) (before 3.17): the standard library's generator finds another way.
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
    }
}
