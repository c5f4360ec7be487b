import COpenSSL
import Testing
import WatcherCrypto

@Suite("OpenSSL's error queue does not leak reasons into later errors")
struct OpenSSLErrorQueueTests {
    @Test("a rejected signature leaves the queue empty")
    func verifyClearsQueue() throws {
        let publicKey = try RSAPublicKey(pem: Fixture.referenceSPKI)
        #expect(!publicKey.isValidSignatureSHA256([UInt8](repeating: 0xFF, count: 256), for: [1]))
        #expect(ERR_peek_error() == 0)
    }

    @Test("a key OpenSSL cannot decode leaves the queue empty and its reason in the problem")
    func loadDrainsQueue() {
        let damaged = Fixture.referencePKCS8.replacing("MIIEvgIBADAN", with: "MIIEvgIBADAA")
        let error = #expect(throws: KeyLoadError.self) { try RSAPrivateKey(pem: damaged) }
        #expect(error?.problem.contains("DECODER") == true)
        #expect(ERR_peek_error() == 0)
    }
}
