/// Unpredictable values from the operating system's CSPRNG.
package enum SecureRandom {
    private static let alphanumerics = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// `count` characters of [0-9A-Za-z], for request nonces (the SDKs send 32).
    ///
    /// `SystemRandomNumberGenerator` is the kernel's CSPRNG (getrandom(2)), and `Int.random(in:using:)` draws
    /// without modulo bias, so every character is equally likely.
    package static func alphanumeric(count: Int) -> String {
        precondition(count >= 0, "a nonce cannot have \(count) characters")
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphanumerics[Int.random(in: alphanumerics.indices, using: &generator)] })
    }
}
