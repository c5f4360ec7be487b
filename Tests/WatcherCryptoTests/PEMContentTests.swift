import Foundation
import Testing
import WatcherCrypto

@Suite("Classifying what a key file holds, without OpenSSL")
struct PEMContentTests {
    private func classify(_ text: String) -> PEMContent {
        PEMContent.classify(Array(text.utf8))
    }

    @Test(
        "each PEM label is recognised",
        arguments: [
            (Fixture.referencePKCS8, PEMContent.pkcs8PrivateKey),
            (Fixture.referencePKCS1, .pkcs1RSAPrivateKey),
            (Fixture.encryptedPKCS8, .encryptedPrivateKey),
            (Fixture.encryptedPKCS1, .encryptedPrivateKey),
            (Fixture.ecPrivateKey, .ecPrivateKey),
            (Fixture.referenceSPKI, .publicKey),
            (Fixture.referencePKCS1Public, .pkcs1RSAPublicKey),
            (Fixture.certificate, .certificate),
        ]
    )
    func labels(pem: String, expected: PEMContent) {
        #expect(classify(pem) == expected)
    }

    @Test("an unknown label is reported by name")
    func otherLabel() {
        let content = classify("-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----\n")
        #expect(content == .otherPEM(label: "DSA PRIVATE KEY"))
        #expect(content.description == "a PEM block labelled \"DSA PRIVATE KEY\"")
    }

    @Test("zero bytes and whitespace are empty")
    func empty() {
        #expect(PEMContent.classify([]) == .empty)
        #expect(classify(" \r\n\t\n") == .empty)
    }

    @Test("a PKCS#12 bundle, DER and invalid UTF-8 are binary")
    func binary() throws {
        let bundle = try #require(Data(base64Encoded: Fixture.pkcs12Base64, options: .ignoreUnknownCharacters))
        let derBody = Fixture.referencePKCS8.split(separator: "\n").dropFirst().dropLast().joined()
        let der = try #require(Data(base64Encoded: derBody))
        #expect(PEMContent.classify(Array(bundle)) == .binary)
        #expect(PEMContent.classify(Array(der)) == .binary)
        #expect(PEMContent.classify([0x41, 0xFF, 0x42]) == .binary)
        #expect(PEMContent.classify(Array("key\0".utf8)) == .binary)
    }

    @Test("text without a BEGIN line is text, even if it looks like Base64")
    func text() {
        #expect(classify("MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDZUJN33V+dSfvd\n") == .text)
    }

    @Test("a UTF-8 byte order mark and CRLF line ends do not hide the label")
    func byteOrderMarkAndCRLF() {
        let windows =
            [0xEF, 0xBB, 0xBF] + Array(Fixture.referenceSPKI.replacingOccurrences(of: "\n", with: "\r\n").utf8)
        #expect(PEMContent.classify(windows) == .publicKey)
    }

    @Test("with several blocks, the first one is reported")
    func firstBlockWins() {
        #expect(classify("Bag Attributes\n\(Fixture.certificate)\n\(Fixture.referencePKCS8)") == .certificate)
    }

    @Test("descriptions are words for an operator")
    func descriptions() {
        #expect(PEMContent.pkcs8PrivateKey.description == "a PKCS#8 private key")
        #expect(PEMContent.certificate.description == "an X.509 certificate")
        #expect(PEMContent.binary.description == "binary data (a DER file or a PKCS#12 .p12 bundle?)")
    }
}
