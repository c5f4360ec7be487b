import Foundation
import Testing
import WatcherCrypto
import WatcherTestSupport

@Suite("Platform certificates: AES-256-GCM, X.509 and the APIv3 key file")
struct PlatformCertificateTests {
    private var sealed: [UInt8] { StrictBase64.decode(PlatformCertificateVectors.ciphertext)! }
    private var key: [UInt8] { Array(PlatformCertificateVectors.apiv3Key.utf8) }

    private func open(
        _ sealed: [UInt8], key: [UInt8], associatedData: String = PlatformCertificateVectors.associatedData
    )
        throws(AES256GCM.OpenError) -> [UInt8]
    {
        try AES256GCM.open(
            sealed, key: key, nonce: Array(PlatformCertificateVectors.nonce.utf8),
            associatedData: Array(associatedData.utf8))
    }

    @Test("a vector sealed by Python's cryptography opens to the certificate it sealed")
    func opensIndependentVector() throws {
        let plaintext = try open(sealed, key: key)
        #expect(String(decoding: plaintext, as: UTF8.self) == PlatformCertificateVectors.current + "\n")
    }

    @Test("sealing and opening agree, and sealing reproduces the independent vector byte for byte")
    func sealReproducesVector() throws {
        let resealed = try AES256GCM.seal(
            Array((PlatformCertificateVectors.current + "\n").utf8), key: key,
            nonce: Array(PlatformCertificateVectors.nonce.utf8),
            associatedData: Array(PlatformCertificateVectors.associatedData.utf8))
        #expect(resealed == sealed)
    }

    @Test("another key, changed associated data or a flipped ciphertext bit fails the tag")
    func tagFailures() {
        var otherKey = key
        otherKey[0] ^= 1
        #expect(throws: AES256GCM.OpenError.authenticationFailed) { try open(sealed, key: otherKey) }
        #expect(throws: AES256GCM.OpenError.authenticationFailed) {
            try open(sealed, key: key, associatedData: "certificat")
        }
        var flipped = sealed
        flipped[10] ^= 0x80
        #expect(throws: AES256GCM.OpenError.authenticationFailed) { try open(flipped, key: key) }
    }

    @Test("a key of the wrong length or input shorter than a tag is refused before OpenSSL")
    func invalidInput() {
        #expect(throws: AES256GCM.OpenError.invalidInput("the key has 31 bytes; expected 32")) {
            try open(sealed, key: Array(key.dropLast()))
        }
        #expect(throws: AES256GCM.OpenError.self) { try open(Array(sealed.prefix(15)), key: key) }
    }

    @Test("a certificate's serial is uppercase hex and its validity is read to the second")
    func serialAndValidity() throws {
        let certificate = try X509Certificate(pem: PlatformCertificateVectors.current)
        #expect(certificate.serialNumber == "0798A4C1E3F5D6B2A0C1D2E3F4A5B6C7D8E9F0A1")
        #expect(certificate.notBefore == 1_735_689_600)  // 2025-01-01T00:00:00Z
        #expect(certificate.notAfter == 1_893_456_000)  // 2030-01-01T00:00:00Z
        #expect(certificate.publicKey.bits == 2048)
        #expect(certificate.isValid(at: 1_735_689_600))
        #expect(!certificate.isValid(at: 1_735_689_599))
        #expect(!certificate.isValid(at: 1_893_456_001))
    }

    @Test("an expired certificate parses, and says it is not valid now")
    func expired() throws {
        let certificate = try X509Certificate(pem: PlatformCertificateVectors.expired)
        #expect(certificate.serialNumber == "1234ABCD")
        #expect(!certificate.isValid(at: Int64(Date().timeIntervalSince1970)))
    }

    @Test("a certificate for an RSA key under 2048 bits is refused")
    func smallKeyRefused() {
        let error = #expect(throws: KeyLoadError.self) {
            try X509Certificate(pem: PlatformCertificateVectors.small, source: "platform certificate 00FF")
        }
        #expect(error?.description.contains("found a 1024-bit RSA key; expected at least 2048 bits") == true)
    }

    @Test("text that is not a certificate says what it is")
    func notACertificate() {
        let error = #expect(throws: KeyLoadError.self) {
            try X509Certificate(pem: PlatformCertificateVectors.currentKey)
        }
        #expect(error?.problem.hasPrefix("found a PKCS#8 private key; expected an X.509 certificate") == true)
    }

    @Test("an APIv3 key file holds exactly 32 bytes, one trailing newline tolerated", arguments: ["", "\n", "\r\n"])
    func apiv3KeyLoads(ending: String) throws {
        try TemporaryDirectory.with { directory in
            let path = "\(directory)/apiv3_key.txt"
            try TemporaryDirectory.createFile(path, PlatformCertificateVectors.apiv3Key + ending, mode: 0o600)
            #expect(try KeyFile.loadAPIv3Key(path: path) == key)
        }
    }

    @Test("an APIv3 key file of another length says how many bytes it holds", arguments: [31, 33, 64])
    func apiv3KeyWrongLength(length: Int) throws {
        try TemporaryDirectory.with { directory in
            let path = "\(directory)/apiv3_key.txt"
            try TemporaryDirectory.createFile(path, String(repeating: "k", count: length) + "\n", mode: 0o600)
            let error = #expect(throws: KeyLoadError.self) { try KeyFile.loadAPIv3Key(path: path) }
            #expect(error?.source == path)
            #expect(error?.problem.hasPrefix("holds \(length) bytes; an APIv3 key is exactly 32 characters") == true)
        }
    }

    @Test("an APIv3 key file readable by others is refused like a private key")
    func apiv3KeyWorldReadable() throws {
        try TemporaryDirectory.with { directory in
            let path = "\(directory)/apiv3_key.txt"
            try TemporaryDirectory.createFile(path, PlatformCertificateVectors.apiv3Key, mode: 0o644)
            let error = #expect(throws: KeyLoadError.self) { try KeyFile.loadAPIv3Key(path: path) }
            #expect(error?.problem.hasSuffix("fix it with `chmod o-rwx '\(path)'`") == true)
        }
    }
}
