import Testing
import WatcherCrypto

@Suite("Public key files in the wrong format say what they are and what is expected")
struct PublicKeyFormatTests {
    static let path = "/etc/wechatpay-watcher/pub_key.pem"
    static let expected =
        "expected an RSA public key in PEM: SubjectPublicKeyInfo (-----BEGIN PUBLIC KEY-----) "
        + "or PKCS#1 (-----BEGIN RSA PUBLIC KEY-----)"

    private func problem(_ pem: String, source: String = path) -> String {
        let error = #expect(throws: KeyLoadError.self) { try RSAPublicKey(pem: pem, source: source) }
        #expect(error?.source == source)
        return error?.problem ?? ""
    }

    @Test("a certificate: suggests extracting its public key with openssl x509")
    func certificate() {
        let problem = problem(Fixture.certificate)
        #expect(problem.hasPrefix("found an X.509 certificate; \(Self.expected)"))
        #expect(problem.hasSuffix("`openssl x509 -in '\(Self.path)' -pubkey -noout > pub_key.pem`"))
    }

    @Test("a certificate given in memory suggests the command with FILE")
    func certificateInMemory() {
        let problem = problem(Fixture.certificate, source: "<memory>")
        #expect(problem.hasSuffix("`openssl x509 -in FILE -pubkey -noout > pub_key.pem`"))
    }

    @Test(
        "a private key is refused as a private key",
        arguments: [Fixture.referencePKCS8, Fixture.referencePKCS1, Fixture.encryptedPKCS8, Fixture.ecPrivateKey]
    )
    func privateKey(pem: String) {
        let problem = problem(pem)
        #expect(problem.contains("private key: this is a private key and must not be used here; \(Self.expected)"))
    }

    @Test("garbage text")
    func garbage() {
        #expect(problem("hello") == "found text without any -----BEGIN …----- PEM block; \(Self.expected)")
    }
}
