import Foundation
import Testing
import WatcherConfig

/// Optional keys take their documented defaults; relative paths are anchored to the configuration's folder.
@Suite struct DefaultsTests {
    @Test func minimalFileGetsEveryDefault() throws {
        let loaded = try Fixture.load(Fixture.file())
        let configuration = loaded.configuration
        #expect(configuration.configFile == Fixture.configFile)
        #expect(configuration.logFile == nil)
        #expect(configuration.logLevel == .info)
        #expect(configuration.logFormat == .text)
        #expect(configuration.metricsFile == nil)
        #expect(
            configuration.api
                == APISettings(baseURL: "https://api.mch.weixin.qq.com", backupBaseURL: nil, requestTimeoutSeconds: 10))
        #expect(
            configuration.polling
                == PollingSettings(
                    minimumIntervalSeconds: 1,
                    deadlineHours: 24,
                    notFoundGraceSeconds: 120,
                    safetyMarginMilliseconds: 2
                )
        )
        #expect(configuration.polling == .defaults)
        #expect(configuration.merchants.map(\.requestsPerSecond) == [20])
        #expect(loaded.warnings.isEmpty)
    }

    @Test func relativePathsResolveAgainstTheConfigurationFolder() throws {
        let text = Fixture.file(
            [
                "database": #""data/watcher.sqlite3""#,
                "log_file": #""../../var/log/./watcher.log""#,
                "metrics_file": #""./metrics//watcher.prom""#,
            ],
            merchants: [
                Fixture.merchant([
                    "private_key_file": #""keys/apiclient_key.pem""#, "wechatpay_public_key_file": #""pub.pem""#,
                ])
            ]
        )
        let configuration = try Fixture.load(text).configuration
        #expect(configuration.database == "/etc/wechatpay-watcher/data/watcher.sqlite3")
        #expect(configuration.logFile == "/var/log/watcher.log")
        #expect(configuration.metricsFile == "/etc/wechatpay-watcher/metrics/watcher.prom")
        #expect(configuration.merchants[0].privateKeyFile == "/etc/wechatpay-watcher/keys/apiclient_key.pem")
        #expect(configuration.merchants[0].wechatpayPublicKeyFile == "/etc/wechatpay-watcher/pub.pem")
    }

    @Test func absolutePathsAreNormalized() throws {
        let configuration = try Fixture.load(Fixture.file(["database": #""/var/lib//x/../watcher.sqlite3""#]))
            .configuration
        #expect(configuration.database == "/var/lib/watcher.sqlite3")
    }

    @Test(arguments: [#""-""#, "null"])
    func dashOrNullLogFileMeansStandardError(value: String) throws {
        #expect(try Fixture.load(Fixture.file(["log_file": value])).configuration.logFile == nil)
    }

    @Test func nullBackupURLAndMetricsFileMeanNone() throws {
        let text = Fixture.file([
            "api": #"{"base_url": "https://api.mch.weixin.qq.com", "backup_base_url": null}"#, "metrics_file": "null",
        ])
        let configuration = try Fixture.load(text).configuration
        #expect(configuration.api.backupBaseURL == nil)
        #expect(configuration.metricsFile == nil)
    }

    @Test func everyOptionalKeyIsRead() throws {
        let text = Fixture.file(
            [
                "log_level": #""debug""#, "log_format": #""json""#,
                "api": #"""
                {"base_url": "https://a.example/", "backup_base_url": "https://b.example:8443",
                 "request_timeout_seconds": 2.5}
                """#,
                "polling": #"""
                {"minimum_interval_seconds": 0.05, "deadline_hours": 1.5, "not_found_grace_seconds": 0,
                 "safety_margin_milliseconds": 0}
                """#,
            ],
            merchants: [Fixture.merchant(["requests_per_second": "5"])]
        )
        let configuration = try Fixture.load(text).configuration
        #expect(configuration.logLevel == .debug)
        #expect(configuration.logFormat == .json)
        #expect(
            configuration.api
                == APISettings(
                    baseURL: "https://a.example", backupBaseURL: "https://b.example:8443", requestTimeoutSeconds: 2.5))
        #expect(
            configuration.polling
                == PollingSettings(
                    minimumIntervalSeconds: 0.05, deadlineHours: 1.5, notFoundGraceSeconds: 0,
                    safetyMarginMilliseconds: 0)
        )
        #expect(configuration.merchants[0].requestsPerSecond == 5)
    }

    @Test func loadTurnsARelativeConfigPathIntoAnAbsoluteOne() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let file = try folder.write(Fixture.file(["database": #""watcher.sqlite3""#]), to: "config.json")
        let upToRoot = FileManager.default.currentDirectoryPath.split(separator: "/").map { _ in ".." }
        let relative = (upToRoot + [String(file.dropFirst())]).joined(separator: "/")

        let configuration = try ConfigurationLoader.load(path: relative).configuration
        #expect(configuration.configFile == file)
        #expect(configuration.database == folder.path + "/watcher.sqlite3")
    }
}
