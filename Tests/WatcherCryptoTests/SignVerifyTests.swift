import Testing
import WatcherCrypto

@Suite("Signing and verifying with RSA-SHA256")
struct SignVerifyTests {
    /// Generated once: key generation is the slow part, and every test here only reads the keys.
    static let key = try! RSAPrivateKey.generate()
    static let otherKey = try! RSAPrivateKey.generate()
    static let message = Array("GET\n/v3/certificates\n1624523846\nA1B2C3D4E5F6G7\n\n".utf8)

    private var publicKey: RSAPublicKey { Self.key.publicKey }

    private func signature() throws -> [UInt8] {
        try Self.key.signSHA256(Self.message)
    }

    @Test("a generated key is 2048 bits and its signatures are 256 bytes")
    func generatedKeyShape() throws {
        #expect(Self.key.bits == 2048)
        #expect(publicKey.bits == 2048)
        #expect(publicKey.signatureLength == 256)
        #expect(try signature().count == 256)
    }

    @Test("a signature verifies for the message it was made for")
    func roundTrip() throws {
        #expect(publicKey.isValidSignatureSHA256(try signature(), for: Self.message))
    }

    @Test("the empty message can be signed and verified")
    func emptyMessage() throws {
        let signature = try Self.key.signSHA256([])
        #expect(publicKey.isValidSignatureSHA256(signature, for: []))
        #expect(!publicKey.isValidSignatureSHA256(signature, for: [0]))
    }

    @Test("signing is deterministic (PKCS#1 v1.5 has no salt)")
    func deterministic() throws {
        #expect(try signature() == signature())
    }

    @Test("a changed message is rejected")
    func tamperedMessage() throws {
        var tampered = Self.message
        tampered[0] ^= 0x01
        #expect(!publicKey.isValidSignatureSHA256(try signature(), for: tampered))
        #expect(!publicKey.isValidSignatureSHA256(try signature(), for: Self.message + [0x0A]))
    }

    @Test("a signature with one flipped bit is rejected", arguments: [0, 100, 255])
    func flippedBit(byteIndex: Int) throws {
        var flipped = try signature()
        flipped[byteIndex] ^= 0x80
        #expect(!publicKey.isValidSignatureSHA256(flipped, for: Self.message))
    }

    @Test("an empty signature is rejected")
    func emptySignature() {
        #expect(!publicKey.isValidSignatureSHA256([], for: Self.message))
    }

    @Test("a signature one byte short or one byte long is rejected")
    func wrongLength() throws {
        let signature = try signature()
        #expect(!publicKey.isValidSignatureSHA256(Array(signature.dropLast()), for: Self.message))
        #expect(!publicKey.isValidSignatureSHA256(signature + [0], for: Self.message))
        #expect(!publicKey.isValidSignatureSHA256([0] + signature, for: Self.message))
    }

    @Test("a signature of the right length but no structure is rejected", arguments: [UInt8(0x00), 0xFF])
    func structurelessSignature(fill: UInt8) {
        #expect(!publicKey.isValidSignatureSHA256([UInt8](repeating: fill, count: 256), for: Self.message))
    }

    @Test("a signature made with a different key is rejected")
    func differentKey() throws {
        let foreign = try Self.otherKey.signSHA256(Self.message)
        #expect(!publicKey.isValidSignatureSHA256(foreign, for: Self.message))
        #expect(Self.otherKey.publicKey.isValidSignatureSHA256(foreign, for: Self.message))
    }

    @Test("a generated key survives export to PKCS#8 and PKCS#1 and loading back")
    func exportAndReload() throws {
        let signature = try signature()
        for pem in [Self.key.pkcs8PEM(), Self.key.pkcs1PEM()] {
            let reloaded = try RSAPrivateKey(pem: pem)
            #expect(try reloaded.signSHA256(Self.message) == signature)
        }
        #expect(Self.key.pkcs8PEM().hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(Self.key.pkcs1PEM().hasPrefix("-----BEGIN RSA PRIVATE KEY-----\n"))
    }

    @Test("generating a key smaller than 2048 bits is refused")
    func generateTooSmall() {
        let error = #expect(throws: CryptoError.self) { try RSAPrivateKey.generate(bits: 1024) }
        #expect(error?.description == "generating a 1024-bit RSA key failed: keys must have at least 2048 bits")
    }
}
