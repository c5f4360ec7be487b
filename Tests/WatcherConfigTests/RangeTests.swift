import Testing
import WatcherConfig

/// Numbers are checked against the ranges the daemon can honour.
@Suite struct RangeTests {
    private static func api(timeout: String) -> String {
        Fixture.file(["api": #"{"base_url": "https://api.mch.weixin.qq.com", "request_timeout_seconds": \#(timeout)}"#])
    }

    @Test(arguments: ["0", "-1", "0.05", "1e-9", "301"])
    func requestTimeoutOutOfRangeIsRefused(timeout: String) {
        let shown = timeout == "1e-9" ? "1e-09" : timeout
        #expect(
            Fixture.problems(Self.api(timeout: timeout)) == [
                "api.request_timeout_seconds: \(shown) is out of range; expected a number from 0.1 to 300"
            ]
        )
    }

    @Test func requestTimeoutAtTheLimitIsAccepted() throws {
        #expect(try Fixture.load(Self.api(timeout: "300")).configuration.api.requestTimeoutSeconds == 300)
    }

    @Test(arguments: ["0", "1001"])
    func requestsPerSecondOutOfRangeIsRefused(rate: String) {
        let text = Fixture.file(merchants: [Fixture.merchant(["requests_per_second": rate])])
        #expect(
            Fixture.problems(text) == [
                "merchants[0].requests_per_second: \(rate) is out of range; expected an integer from 1 to 1000"
            ]
        )
    }

    @Test func requestsPerSecondAboveTheDocumentedLimitIsAcceptedWithAWarning() throws {
        let loaded = try Fixture.load(Fixture.file(merchants: [Fixture.merchant(["requests_per_second": "50"])]))
        #expect(loaded.configuration.merchants[0].requestsPerSecond == 50)
        #expect(
            loaded.warnings == [
                "merchants[0].requests_per_second is 50, above WeChat Pay's documented limit of 20 requests per second "
                    + "per merchant; WeChat Pay may refuse requests with rate-limit errors"
            ]
        )
    }

    @Test func pollingValuesOutOfRangeAreRefused() {
        let polling = #"""
            {"minimum_interval_seconds": 0.01, "deadline_hours": 0, "not_found_grace_seconds": -1,
             "safety_margin_milliseconds": 501}
            """#
        #expect(
            Fixture.problems(Fixture.file(["polling": polling])) == [
                "polling.minimum_interval_seconds: 0.01 is out of range; expected a number from 0.05 to 3600",
                "polling.deadline_hours: 0 is out of range; expected a number from 0.01 to 8760",
                "polling.not_found_grace_seconds: -1 is out of range; expected a number from 0 to 86400",
                "polling.safety_margin_milliseconds: 501 is out of range; expected a number from 0 to 500",
            ]
        )
    }

    @Test func pollingLimitsAreAccepted() throws {
        let polling = #"""
            {"minimum_interval_seconds": 3600, "deadline_hours": 8760, "not_found_grace_seconds": 86400,
             "safety_margin_milliseconds": 500}
            """#
        let settings = try Fixture.load(Fixture.file(["polling": polling])).configuration.polling
        #expect(
            settings
                == PollingSettings(
                    minimumIntervalSeconds: 3600, deadlineHours: 8760, notFoundGraceSeconds: 86_400,
                    safetyMarginMilliseconds: 500))
    }
}
