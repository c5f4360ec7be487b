import Testing
import WatcherCrypto

@Suite("Random nonces")
struct SecureRandomTests {
    static let alphabet = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    @Test("a nonce has the requested length and only [0-9A-Za-z]", arguments: [0, 1, 32, 100])
    func lengthAndAlphabet(count: Int) {
        let nonce = SecureRandom.alphanumeric(count: count)
        #expect(nonce.count == count)
        #expect(nonce.allSatisfy(Self.alphabet.contains))
    }

    @Test("two nonces differ")
    func differ() {
        #expect(SecureRandom.alphanumeric(count: 32) != SecureRandom.alphanumeric(count: 32))
    }

    @Test("every character of the alphabet turns up")
    func coversAlphabet() {
        // 6,400 draws from 62 characters: the chance that one never appears is below 1e-40.
        let seen = Set((0..<200).flatMap { _ in SecureRandom.alphanumeric(count: 32) })
        #expect(seen == Self.alphabet)
    }
}
