import Testing
import WatcherCrypto

@Suite("The public WeChat Pay test vector")
struct ReferenceVectorTests {
    /// What wechatpay-go's signer test expects for the bare message "source".
    static let expectedSignature =
        "BKyAfU4iMCuvXMXS0Wzam3V/cnxZ+JaqigPM5OhljS2iOT95OO6Fsuml2JkFANJU9K6q9bLlDhPXuoVz+pp4hAm6pHU4ld815U4jsKu1"
        + "RkyaII+1CYBUYC8TK0XtJ8FwUXXz8vZHh58rrAVN1XwNyvD1vfpxrMT4SL536GLwvpUHlCqIMzoZUguLli/K8V29QiOhuH6IEqLN"
        + "Jn8e9b3nwNcQ7be3CzYGpDAKBfDGPCqCv8Rw5zndhlffk2FEA70G4hvMwe51qMN/RAJbknXG23bSlObuTCN7Ndj1aJGH6/L+hdwf"
        + "LpUtJm4QYVazzW7DFD27EpSQEqA8bX9+8m1rLg=="

    static let message = Array("source".utf8)

    @Test("the PKCS#8 key signs \"source\" to exactly the published signature")
    func pkcs8KeyMatchesVector() throws {
        let key = try RSAPrivateKey(pem: Fixture.referencePKCS8)
        #expect(StrictBase64.encode(try key.signSHA256(Self.message)) == Self.expectedSignature)
    }

    @Test("the same key as PKCS#1 signs to the same signature")
    func pkcs1KeyMatchesVector() throws {
        let key = try RSAPrivateKey(pem: Fixture.referencePKCS1)
        #expect(StrictBase64.encode(try key.signSHA256(Self.message)) == Self.expectedSignature)
    }

    @Test("the key reports 2048 bits and its public half verifies the published signature")
    func publicHalfVerifiesVector() throws {
        let key = try RSAPrivateKey(pem: Fixture.referencePKCS8)
        let signature = try #require(StrictBase64.decode(Self.expectedSignature))
        #expect(key.bits == 2048)
        #expect(key.publicKey.isValidSignatureSHA256(signature, for: Self.message))
    }

    @Test("exporting gives back what openssl wrote, byte for byte")
    func exportsMatchOpenSSL() throws {
        let key = try RSAPrivateKey(pem: Fixture.referencePKCS8)
        #expect(key.pkcs8PEM() == Fixture.referencePKCS8 + "\n")
        #expect(key.pkcs1PEM() == Fixture.referencePKCS1 + "\n")
        #expect(key.publicKey.spkiPEM() == Fixture.referenceSPKI + "\n")
    }

    @Test("a key pasted with CRLF line ends and indentation still loads")
    func toleratesCRLFAndIndentation() throws {
        let pasted = Fixture.referencePKCS8.split(separator: "\n").map { "  \($0)" }.joined(separator: "\r\n")
        let key = try RSAPrivateKey(pem: pasted)
        #expect(StrictBase64.encode(try key.signSHA256(Self.message)) == Self.expectedSignature)
    }

    @Test("the key is found after the certificate in an `openssl pkcs12 -nodes` dump")
    func findsKeyAfterCertificate() throws {
        let dump = """
            Bag Attributes
                localKeyID: 01
            subject=CN = t
            \(Fixture.certificate)
            Bag Attributes
                localKeyID: 01
            Key Attributes: <No Attributes>
            \(Fixture.referencePKCS8)
            """
        let key = try RSAPrivateKey(pem: dump)
        #expect(StrictBase64.encode(try key.signSHA256(Self.message)) == Self.expectedSignature)
    }
}
