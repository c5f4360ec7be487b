import Testing
import WatcherConfig

/// `encode` writes a file that `parse` reads back as the same configuration.
@Suite struct EncodeTests {
    static let configuration = WatcherConfiguration(
        configFile: "/srv/watcher/config.json",
        database: "/srv/watcher/data \"quoted\"/watcher.sqlite3",
        logFile: nil,
        logLevel: .warning,
        logFormat: .json,
        metricsFile: "/srv/watcher/métriques\\\t.prom",
        api: APISettings(
            baseURL: "http://127.0.0.1:8080", backupBaseURL: "http://[::1]:8081", requestTimeoutSeconds: 0.25),
        polling: PollingSettings(
            minimumIntervalSeconds: 0.05, deadlineHours: 0.5, notFoundGraceSeconds: 0, safetyMarginMilliseconds: 1.5),
        merchants: [
            MerchantSettings(
                merchantID: "1900000001",
                certificateSerial: "abc123",
                privateKeyFile: "/srv/watcher/1900000001/apiclient_key.pem",
                wechatpayPublicKeyID: "PUB_KEY_ID_01",
                wechatpayPublicKeyFile: "/srv/watcher/pub_key.pem",
                requestsPerSecond: 7
            ),
            MerchantSettings(
                merchantID: "1900000002",
                certificateSerial: "DEF456",
                privateKeyFile: "/srv/watcher/1900000002/apiclient_key.pem",
                wechatpayPublicKeyID: "PUB_KEY_ID_02",
                wechatpayPublicKeyFile: "/srv/watcher/pub_key.pem",
                requestsPerSecond: 20
            ),
        ]
    )

    @Test func encodeThenParseRoundTrips() throws {
        let text = ConfigurationLoader.encode(Self.configuration)
        let loaded = try ConfigurationLoader.parse(Array(text.utf8), configFile: Self.configuration.configFile)
        #expect(loaded.configuration == Self.configuration)
        #expect(loaded.warnings.isEmpty)
    }

    @Test func encodeWritesEveryKeyIncludingAbsentOnes() {
        let text = ConfigurationLoader.encode(Self.configuration)
        #expect(text.contains(#""log_file": null"#))
        #expect(text.contains(#""request_timeout_seconds": 0.25"#))
        #expect(text.contains(#""requests_per_second": 20"#))
        #expect(text.hasSuffix("}\n"))
    }
}
