import Testing
import WatcherCrypto

@Suite("Loading RSA public keys")
struct PublicKeyTests {
    @Test("a SubjectPublicKeyInfo PEM loads as a 2048-bit key with 256-byte signatures")
    func loadsSPKI() throws {
        let key = try RSAPublicKey(pem: Fixture.referenceSPKI)
        #expect(key.bits == 2048)
        #expect(key.signatureLength == 256)
    }

    @Test("a PKCS#1 RSA PUBLIC KEY loads as the same key")
    func loadsPKCS1() throws {
        let key = try RSAPublicKey(pem: Fixture.referencePKCS1Public)
        #expect(key.spkiPEM() == Fixture.referenceSPKI + "\n")
    }

    @Test("spkiPEM() round-trips")
    func spkiRoundTrip() throws {
        let pem = try RSAPublicKey(pem: Fixture.referenceSPKI).spkiPEM()
        #expect(pem == Fixture.referenceSPKI + "\n")
        #expect(try RSAPublicKey(pem: pem).spkiPEM() == pem)
    }

    @Test("the public half of a private key holds no private key")
    func publicHalfIsPublic() throws {
        let pem = try RSAPrivateKey(pem: Fixture.referencePKCS8).publicKey.spkiPEM()
        #expect(PEMContent.classify(Array(pem.utf8)) == .publicKey)
        #expect(!pem.contains("PRIVATE"))
    }

    @Test("a 1024-bit public key is refused")
    func tooSmall() {
        let error = #expect(throws: KeyLoadError.self) { try RSAPublicKey(pem: Fixture.rsa1024SPKI) }
        #expect(error?.problem.contains("found a 1024-bit RSA key; expected at least 2048 bits") == true)
    }
}
