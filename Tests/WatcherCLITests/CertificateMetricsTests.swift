import Foundation
import Testing
import WatcherCLI
import WatcherCrypto
import WatcherLog
import WatcherSystemd
import WatcherTestSupport
import WeChatPay
import WeChatPaySimulator

@Suite("The metrics textfile: verification keys and platform certificates")
struct CertificateMetricsTests {
    @Test("which key verified each answer is a label, and a certificate within 10 days of its end counts as expiring")
    func families() async throws {
        let current = try X509CertificateFixture.current()
        // 2029-12-25: the current certificate ends 2030-01-01.
        let wall = Date(timeIntervalSince1970: 1_893_456_000 - 7 * 86_400)
        let transport = FakeTransport { request in
            if request.url.hasSuffix("/v3/certificates") {
                let body = try! PlatformCertificateAnswer.body(
                    [.init(serial: current.serial, pem: current.pem, notBefore: 0, notAfter: 0)],
                    apiv3Key: Array(PlatformCertificateVectors.apiv3Key.utf8))
                return SignedAnswers.ok(
                    String(decoding: body, as: UTF8.self), key: current.key, keyID: current.serial,
                    timestamp: Int64(wall.timeIntervalSince1970))
            }
            return SignedAnswers.ok(
                "{}", key: current.key, keyID: current.serial, timestamp: Int64(wall.timeIntervalSince1970))
        }
        let client = WeChatPayClient(
            credentials: MerchantCredentials(
                merchantID: "1900000001", certificateSerial: "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
                privateKey: TestKeys.merchant, wechatpayPublicKey: nil,
                platformCertificates: PlatformCertificateSettings(
                    apiv3Key: Array(PlatformCertificateVectors.apiv3Key.utf8), apiv3KeyFile: "/k", cacheFile: nil)),
            hosts: APIHosts(primary: "https://primary.example", backup: nil), transport: transport,
            requestTimeout: .seconds(2), userAgent: "test", clock: ClientClock(wall: { wall }, monotonic: { 0 }),
            logger: Logger(sink: InMemoryLogSink()))
        #expect(await client.preparePlatformCertificates() == nil)
        _ = await client.send(APIRequest(pathSegments: ["v3", "x"]))
        let families = CertificateMetrics.families([client], now: wall)
        let text = PrometheusTextfile(families: families).render()
        #expect(
            text.contains(
                "wechatpay_watcher_verified_answers_total{key=\"\(current.serial)\",merchant=\"1900000001\"} 1"))
        #expect(text.contains("wechatpay_watcher_platform_certificates_expiring{merchant=\"1900000001\"} 1"))
        #expect(
            text.contains(
                "wechatpay_watcher_platform_certificate_expires_in_seconds{merchant=\"1900000001\",serial=\"\(current.serial)\"} 604800"
            ))
    }
}

/// The vectors' current certificate with its key.
enum X509CertificateFixture {
    static func current() throws -> (serial: String, pem: String, key: RSAPrivateKey) {
        let certificate = try X509Certificate(pem: PlatformCertificateVectors.current)
        return (
            certificate.serialNumber, certificate.pem, try RSAPrivateKey(pem: PlatformCertificateVectors.currentKey)
        )
    }
}
