import Testing
import WatcherCrypto

@Suite("One key shared by concurrent tasks")
struct ConcurrencyTests {
    @Test("8 tasks signing with the same key at once all produce the signatures a single thread would")
    func concurrentSigning() async throws {
        let key = try RSAPrivateKey(pem: Fixture.referencePKCS8)
        let messages = (0..<8).map { Array("message \($0)".utf8) }
        let expected = try messages.map { try key.signSHA256($0) }
        let signatures = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for (index, message) in messages.enumerated() {
                group.addTask {
                    var last: [UInt8] = []
                    for _ in 0..<20 {
                        last = try key.signSHA256(message)
                    }
                    return (index, last)
                }
            }
            return try await group.reduce(into: [Int: [UInt8]]()) { $0[$1.0] = $1.1 }
        }
        for (index, message) in messages.enumerated() {
            #expect(signatures[index] == expected[index])
            #expect(key.publicKey.isValidSignatureSHA256(try #require(signatures[index]), for: message))
        }
    }

    @Test("8 tasks loading keys at once all get a working key")
    func concurrentLoading() async throws {
        let signatures = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var signature: [UInt8] = []
                    for _ in 0..<20 {
                        let key = try RSAPrivateKey(pem: Fixture.referencePKCS8)
                        signature = try key.signSHA256(ReferenceVectorTests.message)
                    }
                    return signature
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(signatures.count == 8)
        for signature in signatures {
            #expect(StrictBase64.encode(signature) == ReferenceVectorTests.expectedSignature)
        }
    }
}
