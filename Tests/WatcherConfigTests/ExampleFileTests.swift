import Foundation
import Testing
import WatcherConfig

/// The example file operators copy shows every key with its default, and loads as written.
@Suite struct ExampleFileTests {
    /// `config/wechatpay-watcher.example.json` in the repository, found from this file through any symbolic link.
    static let examplePath = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/wechatpay-watcher.example.json").path

    @Test func exampleFileLoadsWithItsDocumentedValues() throws {
        let loaded = try ConfigurationLoader.load(path: Self.examplePath)
        let expected = WatcherConfiguration(
            configFile: Self.examplePath,
            database: "/var/lib/wechatpay-watcher/watcher.sqlite3",
            logFile: "/var/log/wechatpay-watcher/watcher.log",
            logLevel: .info,
            logFormat: .text,
            metricsFile: nil,
            api: APISettings(
                baseURL: "https://api.mch.weixin.qq.com",
                backupBaseURL: "https://api2.mch.weixin.qq.com",
                requestTimeoutSeconds: 10,
                caFile: nil,
                proxyURL: nil,
                idleConnectionSeconds: 5
            ),
            polling: .defaults,
            merchants: [
                MerchantSettings(
                    merchantID: "1900000001",
                    certificateSerial: "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
                    privateKeyFile: "/etc/wechatpay-watcher/1900000001/apiclient_key.pem",
                    wechatpayPublicKeyID: "PUB_KEY_ID_0119000000012024111200000000000001",
                    wechatpayPublicKeyFile: "/etc/wechatpay-watcher/1900000001/pub_key.pem",
                    requestsPerSecond: 20
                )
            ]
        )
        #expect(loaded.configuration == expected)
        #expect(loaded.warnings.isEmpty)
    }

    @Test func encodingTheExampleReproducesTheFileByteForByte() throws {
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        let loaded = try ConfigurationLoader.load(path: Self.examplePath)
        #expect(ConfigurationLoader.encode(loaded.configuration) == text)
    }

    @Test func exampleFileNamesEveryDefault() throws {
        let minimal = try Fixture.load(Fixture.file()).configuration
        let example = try ConfigurationLoader.load(path: Self.examplePath).configuration
        #expect(example.polling == minimal.polling)
        #expect(example.api.requestTimeoutSeconds == minimal.api.requestTimeoutSeconds)
        #expect(example.merchants[0].requestsPerSecond == minimal.merchants[0].requestsPerSecond)
        #expect(example.logLevel == minimal.logLevel && example.logFormat == minimal.logFormat)
    }
}
