import Foundation
import Testing
import WatcherCrypto

@Suite("Private key files in the wrong format say what they are and what is expected")
struct PrivateKeyFormatTests {
    static let path = "/etc/wechatpay-watcher/apiclient_key.pem"
    static let expected =
        "expected an RSA private key in PEM: PKCS#8 (-----BEGIN PRIVATE KEY-----) "
        + "or PKCS#1 (-----BEGIN RSA PRIVATE KEY-----)"

    /// The problem text of loading `pem` as a private key from `path`; fails the test if it loads.
    private func problem(_ pem: [UInt8], source: String = path) -> String {
        let error = #expect(throws: KeyLoadError.self) { try RSAPrivateKey(pem: pem, source: source) }
        #expect(error?.source == source)
        return error?.problem ?? ""
    }

    private func problem(_ pem: String) -> String {
        problem(Array(pem.utf8))
    }

    @Test("a certificate")
    func certificate() {
        let problem = problem(Fixture.certificate)
        #expect(problem.hasPrefix("found an X.509 certificate; \(Self.expected)"))
        #expect(problem.contains("apiclient_key.pem"))
    }

    @Test("a public key", arguments: [Fixture.referenceSPKI, Fixture.referencePKCS1Public])
    func publicKey(pem: String) {
        let problem = problem(pem)
        #expect(problem.hasPrefix("found a "))
        #expect(problem.contains("public key; \(Self.expected)"))
        #expect(problem.contains("a public key cannot sign"))
    }

    @Test("an encrypted PKCS#8 key: suggests decrypting it with openssl pkey")
    func encryptedPKCS8() {
        let problem = problem(Fixture.encryptedPKCS8)
        #expect(problem.hasPrefix("found an encrypted (password-protected) private key; \(Self.expected)"))
        #expect(problem.contains("`openssl pkey -in '\(Self.path)' -out apiclient_key.pem`"))
    }

    @Test("an encrypted PKCS#1 key with a Proc-Type header: suggests decrypting it")
    func encryptedPKCS1() {
        let problem = problem(Fixture.encryptedPKCS1)
        #expect(problem.hasPrefix("found an encrypted (password-protected) private key; \(Self.expected)"))
        #expect(problem.contains("`openssl pkey -in '\(Self.path)' -out apiclient_key.pem`"))
    }

    @Test("an EC private key")
    func ecKey() {
        let problem = problem(Fixture.ecPrivateKey)
        #expect(problem.hasPrefix("found an EC private key; \(Self.expected)"))
        #expect(problem.contains("RSA only"))
    }

    @Test("an EC key inside PKCS#8 is named by its key type")
    func ecKeyInPKCS8() {
        let problem = problem(Fixture.ecPKCS8)
        #expect(problem == "found a PKCS#8 private key holding a key of type EC; \(Self.expected)")
    }

    @Test("a PKCS#12 bundle: suggests extracting the key with openssl pkcs12")
    func pkcs12() throws {
        let bundle = try #require(Data(base64Encoded: Fixture.pkcs12Base64, options: .ignoreUnknownCharacters))
        let problem = problem(Array(bundle))
        #expect(problem.hasPrefix("found binary data (a DER file or a PKCS#12 .p12 bundle?); \(Self.expected)"))
        #expect(problem.contains("`openssl pkcs12 -in '\(Self.path)' -nocerts -nodes -out apiclient_key.pem`"))
    }

    @Test("garbage text")
    func garbage() {
        let problem = problem("mchid=1900000001\nthis is not a key\n")
        #expect(problem == "found text without any -----BEGIN …----- PEM block; \(Self.expected)")
    }

    @Test("an empty file, or one with only whitespace", arguments: ["", " \n\t\r\n"])
    func empty(pem: String) {
        #expect(problem(pem) == "found nothing (empty, or only whitespace); \(Self.expected)")
    }

    @Test("a 1024-bit RSA key is too small")
    func tooSmall() {
        let problem = problem(Fixture.rsa1024PKCS8)
        #expect(problem == "found a 1024-bit RSA key; expected at least 2048 bits (WeChat Pay signs with RSA-2048)")
    }

    @Test("a truncated copy without its END line")
    func truncated() {
        let truncated = Fixture.referencePKCS8.replacingOccurrences(of: "-----END PRIVATE KEY-----", with: "")
        let problem = problem(truncated)
        #expect(problem.hasPrefix("found a PKCS#8 private key without its -----END PRIVATE KEY----- line"))
    }

    @Test("two private keys in one file: refused, since only one can be the merchant's")
    func twoKeys() {
        let twoKeys = problem(Fixture.referencePKCS8 + "\n" + Fixture.rsa1024PKCS8)
        #expect(
            twoKeys.hasPrefix(
                "holds 2 private keys (a PKCS#8 private key, a PKCS#8 private key); "
                    + "a merchant key file holds exactly one"))
        let withCertificate = problem(Fixture.certificate + "\n" + Fixture.referencePKCS1 + "\n" + Fixture.ecPrivateKey)
        #expect(withCertificate.hasPrefix("holds 2 private keys ("))
    }

    @Test("a damaged body is reported with OpenSSL's reason")
    func damaged() {
        let damaged = Fixture.referencePKCS8.replacingOccurrences(of: "MIIEvgIBADAN", with: "MIIEvgIBADAA")
        let problem = problem(damaged)
        #expect(problem.hasPrefix("found a PKCS#8 private key, but OpenSSL could not decode it ("))
        #expect(problem.hasSuffix("the file may be damaged; \(Self.expected)"))
    }

    @Test("an in-memory key says <memory> and writes FILE in suggested commands")
    func memorySource() {
        let error = #expect(throws: KeyLoadError.self) { try RSAPrivateKey(pem: Fixture.encryptedPKCS8) }
        #expect(error?.source == "<memory>")
        #expect(error?.description.hasPrefix("<memory>: found an encrypted") == true)
        #expect(error?.problem.contains("`openssl pkey -in FILE -out apiclient_key.pem`") == true)
    }

    @Test("the description is source, colon, problem")
    func description() {
        let error = KeyLoadError(source: "/k.pem", problem: "found nothing")
        #expect(error.description == "/k.pem: found nothing")
    }
}
