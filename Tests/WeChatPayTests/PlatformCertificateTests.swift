import Foundation
import Synchronization
import Testing
import WatcherCrypto
import WatcherLog
import WatcherTestSupport
import WeChatPay
import WeChatPaySimulator

/// The two platform certificates of the vectors, with their keys, and answers built the way WeChat Pay builds
/// them.
private enum Platform {
    static let current = try! X509Certificate(pem: PlatformCertificateVectors.current)
    static let currentKey = try! RSAPrivateKey(pem: PlatformCertificateVectors.currentKey)
    static let successor = try! X509Certificate(pem: PlatformCertificateVectors.successor)
    static let successorKey = try! RSAPrivateKey(pem: PlatformCertificateVectors.successorKey)
    static let apiv3Key = Array(PlatformCertificateVectors.apiv3Key.utf8)

    static func entry(_ certificate: X509Certificate, serial: String? = nil) -> PlatformCertificateAnswer.Entry {
        .init(
            serial: serial ?? certificate.serialNumber, pem: certificate.pem, notBefore: certificate.notBefore,
            notAfter: certificate.notAfter)
    }

    /// A `/v3/certificates` answer holding `certificates`, signed by `signer`.
    static func answer(
        _ certificates: [X509Certificate], signedBy signer: (RSAPrivateKey, String)? = nil, apiv3Key: [UInt8] = apiv3Key
    ) -> HTTPResponse {
        let body = try! PlatformCertificateAnswer.body(certificates.map { entry($0) }, apiv3Key: apiv3Key)
        let (key, serial) = signer ?? (currentKey, current.serialNumber)
        return SignedAnswers.ok(String(decoding: body, as: UTF8.self), key: key, keyID: serial)
    }
}

@Suite("Platform certificates: decoding, trust, routing, the client")
struct PlatformCertificateTests {
    let poll = APIRequest(pathSegments: ["v3", "marketing", "partner", "product-coupon", "product-coupons", "c1"])

    func credentials(publicKey: Bool = false, cacheFile: String? = nil, apiv3Key: [UInt8] = Platform.apiv3Key)
        -> MerchantCredentials
    {
        MerchantCredentials(
            merchantID: "1900000001", certificateSerial: "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
            privateKey: TestKeys.merchant,
            wechatpayPublicKey: publicKey ? (TestKeys.platformKeyID, TestKeys.platform.publicKey) : nil,
            platformCertificates: PlatformCertificateSettings(
                apiv3Key: apiv3Key, apiv3KeyFile: "/etc/w/apiv3_key.txt", cacheFile: cacheFile))
    }

    func client(_ transport: FakeTransport, _ credentials: MerchantCredentials, log: InMemoryLogSink = .init())
        -> WeChatPayClient
    {
        WeChatPayClient(
            credentials: credentials, hosts: APIHosts(primary: "https://primary.example", backup: nil),
            transport: transport, requestTimeout: .seconds(2), userAgent: "wechatpay-watcher/test",
            logger: Logger(sink: log))
    }

    static func isDownload(_ request: HTTPRequest) -> Bool { request.url.hasSuffix("/v3/certificates") }

    // MARK: Pure rules

    @Test("a serial routes to its certificate whatever its case and leading zeros")
    func routingBySerial() {
        let set = PlatformCertificateSet([Platform.current, Platform.successor])
        #expect(
            set.certificate(serial: "0798A4C1E3F5D6B2A0C1D2E3F4A5B6C7D8E9F0A1")?.serialNumber
                == Platform.current.serialNumber)
        #expect(
            set.certificate(serial: "798a4c1e3f5d6b2a0c1d2e3f4a5b6c7d8e9f0a1")?.serialNumber
                == Platform.current.serialNumber)
        #expect(set.certificate(serial: "005E1F0000AB")?.serialNumber == "5E1F0000AB")
        #expect(set.certificate(serial: "5E1F0000AC") == nil)
    }

    @Test("PUB_KEY_ID_ routes to the public key, any other serial to the certificates, during the migration")
    func migrationRouting() {
        let keys = VerificationKeys(
            publicKey: (TestKeys.platformKeyID, TestKeys.platform.publicKey),
            certificates: PlatformCertificateSet([Platform.current]))
        let verifier = ResponseVerifier(keys: keys)
        let byPublicKey = SignedAnswers.ok("{}")
        let byCertificate = SignedAnswers.ok("{}", key: Platform.currentKey, keyID: Platform.current.serialNumber)
        let now = Date()
        #expect(
            verifier.verify(headers: byPublicKey.headers, body: byPublicKey.body, now: now)
                == .success(TestKeys.platformKeyID))
        #expect(
            verifier.verify(headers: byCertificate.headers, body: byCertificate.body, now: now)
                == .success(Platform.current.serialNumber))
        let unknown = SignedAnswers.ok("{}", key: Platform.successorKey, keyID: "5E1F0000AB")
        #expect(
            verifier.failure(headers: unknown.headers, body: unknown.body, now: now)
                == .unknownCertificateSerial(found: "5E1F0000AB", held: [Platform.current.serialNumber]))
        let otherPublicKey = SignedAnswers.ok("{}", keyID: "PUB_KEY_ID_SOMEONE_ELSE")
        #expect(
            verifier.failure(headers: otherPublicKey.headers, body: otherPublicKey.body, now: now)
                == .unexpectedSerial(found: "PUB_KEY_ID_SOMEONE_ELSE", expected: TestKeys.platformKeyID))
    }

    @Test("an answer signed by a certificate outside its validity is refused")
    func validityHonoured() {
        let keys = VerificationKeys(publicKey: nil, certificates: PlatformCertificateSet([Platform.current]))
        let answer = SignedAnswers.ok(
            "{}", key: Platform.currentKey, keyID: Platform.current.serialNumber, timestamp: 1_900_000_000)
        let failure = ResponseVerifier(keys: keys).failure(
            headers: answer.headers, body: answer.body, now: Date(timeIntervalSince1970: 1_900_000_000))
        #expect(failure?.reason == "certificate_not_valid")
    }

    @Test("the newest valid certificate is the one requests name")
    func newestValid() {
        let set = PlatformCertificateSet([Platform.current, Platform.successor])
        #expect(set.newestValid(at: 1_740_000_000)?.serialNumber == Platform.current.serialNumber)  // 2025-02
        #expect(set.newestValid(at: 1_760_000_000)?.serialNumber == "5E1F0000AB")  // 2025-10
        #expect(set.newestValid(at: 1_900_000_000)?.serialNumber == "5E1F0000AB")  // 2030-03, after current
    }

    @Test("an empty download, or one of certificates that start later, never replaces the held set")
    func neverReplaceWithEmpty() {
        let held = PlatformCertificateSet([Platform.current])
        let successorOnly = PlatformCertificateSet([Platform.successor])
        #expect(held.replaced(by: .empty, at: 1_760_000_000) == nil)
        #expect(held.replaced(by: successorOnly, at: 1_760_000_000)?.serials == ["5E1F0000AB"])
        // 2025-04: the successor starts only on 2025-06-01, so it verifies nothing yet.
        #expect(held.replaced(by: successorOnly, at: 1_745_000_000) == nil)
    }

    @Test("a tag failing beside an entry that opens with the same key names the damaged entry, not the key")
    func damagedEntryIsNotAWrongKey() throws {
        let body = try PlatformCertificateAnswer.body(
            [Platform.entry(Platform.current), Platform.entry(Platform.successor)], apiv3Key: Platform.apiv3Key)
        var document = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        var entries = try #require(document["data"] as? [[String: Any]])
        var sealed = try #require(entries[1]["encrypt_certificate"] as? [String: Any])
        sealed["associated_data"] = "certificatX"
        entries[1]["encrypt_certificate"] = sealed
        document["data"] = entries
        let altered = Array(try JSONSerialization.data(withJSONObject: document))
        let error = #expect(throws: PlatformCertificateError.self) {
            try PlatformCertificateDecoder.decode(altered, apiv3Key: Platform.apiv3Key, keyFile: "/k", now: 0)
        }
        #expect(
            error
                == .malformed(
                    "certificate 5E1F0000AB fails its AES-256-GCM tag although certificate "
                        + "\(Platform.current.serialNumber) decrypts with the same key: the entry was damaged or "
                        + "altered on the way (the APIv3 key is right)"))
    }

    @Test("decoding opens every entry; a wrong key says so; an entry whose serial_no lies is refused")
    func decoding() throws {
        let body = try PlatformCertificateAnswer.body(
            [Platform.entry(Platform.current), Platform.entry(Platform.successor)], apiv3Key: Platform.apiv3Key)
        let certificates = try PlatformCertificateDecoder.decode(
            body, apiv3Key: Platform.apiv3Key, keyFile: "/k", now: 1_760_000_000)
        #expect(certificates.map(\.serialNumber) == [Platform.current.serialNumber, "5E1F0000AB"])
        var wrong = Platform.apiv3Key
        wrong[31] ^= 1
        let error = #expect(throws: PlatformCertificateError.self) {
            try PlatformCertificateDecoder.decode(body, apiv3Key: wrong, keyFile: "/k", now: 0)
        }
        #expect(error?.description.hasPrefix("wrong APIv3 key: platform certificate") == true)
        let lying = try PlatformCertificateAnswer.body(
            [Platform.entry(Platform.current, serial: "5E1F0000AB")], apiv3Key: Platform.apiv3Key)
        #expect(throws: PlatformCertificateError.self) {
            try PlatformCertificateDecoder.decode(lying, apiv3Key: Platform.apiv3Key, keyFile: "/k", now: 0)
        }
    }

    @Test("a later download must verify with a held certificate or one it brings; the first is trusted by the tag")
    func trustRule() throws {
        let stranger = try RSAPrivateKey.generate()
        let forged = Platform.answer([Platform.successor], signedBy: (stranger, "5E1F0000AB"))
        let held = PlatformCertificateSet([Platform.current])
        let downloaded = [Platform.successor]
        #expect(
            PlatformCertificateDecoder.trustFailure(
                headers: forged.headers, body: forged.body, now: Date(), held: .empty, downloaded: downloaded,
                publicKey: nil) == nil)
        #expect(
            PlatformCertificateDecoder.trustFailure(
                headers: forged.headers, body: forged.body, now: Date(), held: held, downloaded: downloaded,
                publicKey: nil) == .signatureMismatch)
        let bySuccessor = Platform.answer([Platform.successor], signedBy: (Platform.successorKey, "5E1F0000AB"))
        #expect(
            PlatformCertificateDecoder.trustFailure(
                headers: bySuccessor.headers, body: bySuccessor.body, now: Date(), held: held,
                downloaded: downloaded, publicKey: nil) == nil)
    }

    // MARK: The client

    @Test("certificate mode: first poll downloads, names the newest certificate, and verifies by its serial")
    func certificateModeClient() async throws {
        let transport = FakeTransport { request in
            Self.isDownload(request)
                ? Platform.answer([Platform.current])
                : SignedAnswers.ok("{}", key: Platform.currentKey, keyID: Platform.current.serialNumber)
        }
        let client = client(transport, credentials())
        #expect(await client.preparePlatformCertificates() == nil)
        let exchange = await client.send(poll)
        #expect(exchange.outcome == .verified(status: 200, body: Array("{}".utf8)))
        #expect(transport.requests.map(Self.isDownload) == [true, false])
        #expect(transport.requests.last?.headers.value(for: "Wechatpay-Serial") == Platform.current.serialNumber)
        #expect(client.verifiedAnswersByKey == [Platform.current.serialNumber: 1])
    }

    @Test("migration mode names the public key id and accepts answers signed by either")
    func migrationClient() async throws {
        let count = Mutex(0)
        let transport = FakeTransport { request in
            if Self.isDownload(request) { return Platform.answer([Platform.current]) }
            let odd = count.withLock { value in
                value += 1
                return value % 2 == 1
            }
            return odd
                ? SignedAnswers.ok("{}")
                : SignedAnswers.ok("{}", key: Platform.currentKey, keyID: Platform.current.serialNumber)
        }
        let client = client(transport, credentials(publicKey: true))
        #expect(await client.preparePlatformCertificates() == nil)
        for _ in 0..<4 {
            #expect(await client.send(poll).outcome == .verified(status: 200, body: Array("{}".utf8)))
        }
        #expect(transport.requests.last?.headers.value(for: "Wechatpay-Serial") == TestKeys.platformKeyID)
        #expect(client.verifiedAnswersByKey == [TestKeys.platformKeyID: 2, Platform.current.serialNumber: 2])
    }

    @Test("an answer by an unknown certificate downloads once, then verifies that same answer")
    func rotation() async throws {
        let announced = Mutex(false)
        let transport = FakeTransport { request in
            if Self.isDownload(request) {
                let both = announced.withLock { $0 }
                return Platform.answer(both ? [Platform.current, Platform.successor] : [Platform.current])
            }
            announced.withLock { $0 = true }
            return SignedAnswers.ok("{}", key: Platform.successorKey, keyID: "5E1F0000AB")
        }
        let client = client(transport, credentials())
        #expect(await client.preparePlatformCertificates() == nil)
        #expect(await client.send(poll).outcome == .verified(status: 200, body: Array("{}".utf8)))
        #expect(transport.requests.map(Self.isDownload) == [true, false, true])
        #expect(Set(client.platformCertificates?.serials ?? []) == [Platform.current.serialNumber, "5E1F0000AB"])
    }

    @Test("certificates that all start later neither replace the held ones nor make a first download succeed")
    func notYetValidDownload() async throws {
        // 2025-04-18: the current certificate is valid; the successor starts on 2025-06-01.
        let wall = Date(timeIntervalSince1970: 1_745_000_000)
        let clock = ClientClock(wall: { wall }, monotonic: { 0 })
        let successorOnly = Mutex(false)
        let transport = FakeTransport { _ in
            let later = successorOnly.withLock { $0 }
            let body = try! PlatformCertificateAnswer.body(
                [Platform.entry(later ? Platform.successor : Platform.current)], apiv3Key: Platform.apiv3Key)
            return SignedAnswers.ok(
                String(decoding: body, as: UTF8.self), key: Platform.currentKey, keyID: Platform.current.serialNumber,
                timestamp: Int64(wall.timeIntervalSince1970))
        }
        func client() -> WeChatPayClient {
            WeChatPayClient(
                credentials: credentials(), hosts: APIHosts(primary: "https://primary.example", backup: nil),
                transport: transport, requestTimeout: .seconds(2), userAgent: "test", clock: clock,
                logger: Logger(sink: InMemoryLogSink()))
        }
        let running = client()
        #expect(await running.preparePlatformCertificates() == nil)
        successorOnly.withLock { $0 = true }
        let refresh = await running.downloadPlatformCertificates()
        #expect(refresh.map { if case .failure(.empty) = $0 { true } else { false } } == true)
        #expect(running.platformCertificates?.serials == [Platform.current.serialNumber])
        let error = await client().preparePlatformCertificates()
        #expect(error?.description.contains("no certificate that is valid now") == true)
    }

    @Test("a certificate serial spelled in lower case with leading zeros counts under the certificate's own serial")
    func verifiedKeyIsTheCertificatesSerial() async throws {
        let spelled = "00" + Platform.current.serialNumber.lowercased()
        let transport = FakeTransport { request in
            Self.isDownload(request)
                ? Platform.answer([Platform.current])
                : SignedAnswers.ok("{}", key: Platform.currentKey, keyID: spelled)
        }
        let client = client(transport, credentials())
        #expect(await client.preparePlatformCertificates() == nil)
        #expect(await client.send(poll).outcome == .verified(status: 200, body: Array("{}".utf8)))
        #expect(client.verifiedAnswersByKey == [Platform.current.serialNumber: 1])
    }

    @Test("answers by an unknown serial share one download, and start at most one a minute")
    func singleFlight() async throws {
        let stranger = try RSAPrivateKey.generate()
        let transport = FakeTransport { request in
            if Self.isDownload(request) {
                try? await Task.sleep(for: .milliseconds(50))
                return Platform.answer([Platform.current])
            }
            return SignedAnswers.ok("{}", key: stranger, keyID: "0BADC0DE")
        }
        let log = InMemoryLogSink()
        let client = client(transport, credentials(), log: log)
        #expect(await client.preparePlatformCertificates() == nil)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<5 { group.addTask { _ = await client.send(poll) } }
        }
        _ = await client.send(poll)
        #expect(transport.requests.filter(Self.isDownload).count == 2, "the start-up one and one for the serial")
        #expect(log.records(named: "certificates.unknown_serial").count == 1, "one line per download, not per answer")
    }

    @Test("a failed or empty download keeps the held certificates")
    func failedRefreshKeepsHeld() async throws {
        let phase = Mutex(0)
        let transport = FakeTransport { request in
            let current = phase.withLock { $0 }
            if Self.isDownload(request) {
                return current == 0 ? Platform.answer([Platform.current]) : Platform.answer([])
            }
            phase.withLock { $0 = 1 }
            return SignedAnswers.ok("{}", key: Platform.successorKey, keyID: "5E1F0000AB")
        }
        let client = client(transport, credentials())
        #expect(await client.preparePlatformCertificates() == nil)
        let outcome = await client.send(poll).outcome
        #expect(
            outcome
                == .unverified(
                    .unknownCertificateSerial(found: "5E1F0000AB", held: [Platform.current.serialNumber]), status: 200))
        #expect(client.platformCertificates?.serials == [Platform.current.serialNumber])
    }

    @Test("404 RESOURCE_NOT_EXISTS says the merchant has no certificates and to configure the public key")
    func noCertificates() async {
        let transport = FakeTransport { _ in SignedAnswers.error(404, code: "RESOURCE_NOT_EXISTS", message: "无可用的平台证书")
        }
        let error = await client(transport, credentials()).preparePlatformCertificates()
        #expect(error?.description.contains("has no platform certificates") == true)
        #expect(error?.description.contains("configure wechatpay_public_key_id and wechatpay_public_key_file") == true)
    }

    @Test("no certificates to give stops the start only when no public key verifies either")
    func whatStopsTheStart() {
        let gone = PlatformCertificateError.noCertificates(
            status: 404, code: "RESOURCE_NOT_EXISTS", message: "无可用的平台证书", requestID: nil)
        #expect(gone.stopsStart(publicKeyConfigured: false))
        #expect(!gone.stopsStart(publicKeyConfigured: true))
        #expect(!PlatformCertificateError.empty(requestID: nil).stopsStart(publicKeyConfigured: true))
        #expect(PlatformCertificateError.empty(requestID: nil).stopsStart(publicKeyConfigured: false))
        let wrongKey = PlatformCertificateError.wrongAPIv3Key(keyFile: "/k", serial: "AB")
        #expect(wrongKey.stopsStart(publicKeyConfigured: true), "a wrong key is the operator's to fix in any mode")
        #expect(!PlatformCertificateError.transport(.connectFailed("refused")).stopsStart(publicKeyConfigured: false))
    }

    @Test("after WeChat Pay answers that it has no certificates, the next scheduled download waits 12 hours")
    func noCertificatesIsAnAnswer() async {
        let wall = Mutex(Date(timeIntervalSince1970: 1_760_000_000))
        let clock = ClientClock(wall: { wall.withLock { $0 } }, monotonic: { 0 })
        let transport = FakeTransport { request in
            Self.isDownload(request)
                ? SignedAnswers.error(404, code: "RESOURCE_NOT_EXISTS", message: "无可用的平台证书")
                : SignedAnswers.ok("{}", timestamp: Int64(wall.withLock { $0 }.timeIntervalSince1970))
        }
        let client = WeChatPayClient(
            credentials: credentials(publicKey: true), hosts: APIHosts(primary: "https://primary.example", backup: nil),
            transport: transport, requestTimeout: .seconds(2), userAgent: "test", clock: clock,
            logger: Logger(sink: InMemoryLogSink()))
        let error = await client.preparePlatformCertificates()
        #expect(error?.stopsStart(publicKeyConfigured: client.verifiesWithPublicKey) == false)
        for minute in 1...5 {
            wall.withLock { $0 = Date(timeIntervalSince1970: 1_760_000_000 + Double(minute) * 61) }
            #expect(await client.send(poll).outcome == .verified(status: 200, body: Array("{}".utf8)))
        }
        #expect(transport.requests.filter(Self.isDownload).count == 1)
        wall.withLock { $0 = Date(timeIntervalSince1970: 1_760_000_000 + 12 * 3600 + 1) }
        _ = await client.send(poll)
        #expect(transport.requests.filter(Self.isDownload).count == 2)
    }

    @Test("a wrong APIv3 key fails preparation with exactly that")
    func wrongKey() async {
        let transport = FakeTransport { _ in Platform.answer([Platform.current]) }
        var wrong = Platform.apiv3Key
        wrong[0] ^= 1
        let error = await client(transport, credentials(apiv3Key: wrong)).preparePlatformCertificates()
        #expect(error?.description.hasPrefix("wrong APIv3 key") == true)
    }

    @Test("the cache lets a new client verify before any download, and a changed key cannot open it")
    func cache() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let cacheFile = directory.file("certificates.json")
        let first = FakeTransport { _ in Platform.answer([Platform.current]) }
        #expect(await client(first, credentials(cacheFile: cacheFile)).preparePlatformCertificates() == nil)
        let second = FakeTransport { request in
            Self.isDownload(request)
                ? SignedAnswers.error(500, code: "SYSTEM_ERROR")
                : SignedAnswers.ok("{}", key: Platform.currentKey, keyID: Platform.current.serialNumber)
        }
        let restarted = client(second, credentials(cacheFile: cacheFile))
        #expect(await restarted.preparePlatformCertificates() == nil)
        #expect(await restarted.send(poll).outcome == .verified(status: 200, body: Array("{}".utf8)))
        #expect(!second.requests.contains(where: Self.isDownload))
        var wrong = Platform.apiv3Key
        wrong[5] ^= 1
        let error = await client(second, credentials(cacheFile: cacheFile, apiv3Key: wrong))
            .preparePlatformCertificates()
        #expect(error?.description.hasPrefix("wrong APIv3 key") == true)
    }

    @Test("after the APIv3 key is reset, a download that opens with the new key replaces the cache the old one sealed")
    func keyResetReplacesCache() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let cacheFile = directory.file("certificates.json")
        let first = FakeTransport { _ in Platform.answer([Platform.current]) }
        #expect(await client(first, credentials(cacheFile: cacheFile)).preparePlatformCertificates() == nil)
        var changed = Platform.apiv3Key
        changed[7] ^= 1
        let reset = changed
        let afterReset = FakeTransport { request in
            Self.isDownload(request)
                ? Platform.answer([Platform.current], apiv3Key: reset)
                : SignedAnswers.ok("{}", key: Platform.currentKey, keyID: Platform.current.serialNumber)
        }
        let log = InMemoryLogSink()
        let restarted = client(afterReset, credentials(cacheFile: cacheFile, apiv3Key: reset), log: log)
        #expect(await restarted.preparePlatformCertificates() == nil)
        #expect(await restarted.send(poll).outcome == .verified(status: 200, body: Array("{}".utf8)))
        #expect(log.records(named: "certificates.cache_unusable").count == 1)
        let again = FakeTransport { _ in SignedAnswers.error(500, code: "SYSTEM_ERROR") }
        #expect(
            await client(again, credentials(cacheFile: cacheFile, apiv3Key: reset)).preparePlatformCertificates()
                == nil, "the cache now opens with the new key")
    }

    @Test("a damaged cache file is named in a warning and ignored: the certificates are downloaded and rewritten")
    func damagedCache() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let cacheFile = directory.file("certificates.json")
        try Data(#"{"data":[{"serial_no":"AB"#.utf8).write(to: URL(fileURLWithPath: cacheFile))
        let transport = FakeTransport { _ in Platform.answer([Platform.current]) }
        let log = InMemoryLogSink()
        #expect(
            await client(transport, credentials(cacheFile: cacheFile), log: log).preparePlatformCertificates() == nil)
        let warning = try #require(log.records(named: "certificates.cache_unusable").first)
        #expect(warning.fields.contains { $0.key == "file" && "\($0.value)".contains(cacheFile) })
        #expect(transport.requests.contains(where: Self.isDownload))
        let rewritten = try #require(FileManager.default.contents(atPath: cacheFile))
        #expect(rewritten.count > 30, "the download replaced the damaged file")
    }
}

@Suite("Platform certificates: expiry")
struct PlatformCertificateExpiryTests {
    @Test("from 10 days before a held certificate expires, a warning names it and whether a successor is held")
    func expiryWarning() async {
        // 2029-12-25: the current certificate ends 2030-01-01, and no successor is announced.
        let wall = Date(timeIntervalSince1970: 1_893_456_000 - 7 * 86_400)
        let clock = ClientClock(wall: { wall }, monotonic: { 0 })
        let log = InMemoryLogSink()
        let transport = FakeTransport { _ in
            let body = try! PlatformCertificateAnswer.body(
                [
                    .init(
                        serial: Platform.current.serialNumber, pem: Platform.current.pem,
                        notBefore: Platform.current.notBefore, notAfter: Platform.current.notAfter)
                ], apiv3Key: Platform.apiv3Key)
            return SignedAnswers.ok(
                String(decoding: body, as: UTF8.self), key: Platform.currentKey, keyID: Platform.current.serialNumber,
                timestamp: Int64(wall.timeIntervalSince1970))
        }
        let client = WeChatPayClient(
            credentials: MerchantCredentials(
                merchantID: "1900000001", certificateSerial: "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
                privateKey: TestKeys.merchant, wechatpayPublicKey: nil,
                platformCertificates: PlatformCertificateSettings(
                    apiv3Key: Platform.apiv3Key, apiv3KeyFile: "/k", cacheFile: nil)),
            hosts: APIHosts(primary: "https://primary.example", backup: nil), transport: transport,
            requestTimeout: .seconds(2), userAgent: "test", clock: clock, logger: Logger(sink: log))
        #expect(await client.preparePlatformCertificates() == nil)
        let warnings = log.records.filter { $0.event == "certificates.expiring" }
        #expect(warnings.count == 1)
        #expect(
            warnings.first?.fields.contains { $0.key == "serial" && $0.value == .string(Platform.current.serialNumber) }
                == true)
        #expect(
            warnings.first?.fields.contains { $0.key == "successor" && $0.value == .string("none held yet") } == true)
    }
}
