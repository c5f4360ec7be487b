import Testing
import WatcherSystemd

@Suite("WatchdogSettings")
struct WatchdogSettingsTests {
    @Test("WATCHDOG_USEC gives the timeout; pings go out at half of it")
    func interval() throws {
        let settings = try #require(WatchdogSettings(environment: ["WATCHDOG_USEC": "30000000"], pid: 42))
        #expect(settings.timeoutMicroseconds == 30_000_000)
        #expect(settings.timeout == 30)
        #expect(settings.pingInterval == 15)
    }

    @Test("WATCHDOG_PID naming this process, or absent, keeps the watchdog on")
    func ownPid() {
        let expected = WatchdogSettings.Resolution.enabled(WatchdogSettings(timeoutMicroseconds: 3_000_000))
        #expect(
            WatchdogSettings.resolve(environment: ["WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "42"], pid: 42)
                == expected)
        #expect(WatchdogSettings.resolve(environment: ["WATCHDOG_USEC": "3000000"], pid: 42) == expected)
    }

    @Test(
        "anything else disables it, with a reason fit for the log",
        arguments: [
            ([:], "WATCHDOG_USEC is not set"),
            (["WATCHDOG_USEC": "soon"], "WATCHDOG_USEC \"soon\" is not a positive number of microseconds"),
            (["WATCHDOG_USEC": "0"], "WATCHDOG_USEC \"0\" is not a positive number of microseconds"),
            (["WATCHDOG_USEC": "-5"], "WATCHDOG_USEC \"-5\" is not a positive number of microseconds"),
            (["WATCHDOG_USEC": "+5"], "WATCHDOG_USEC \"+5\" is not a positive number of microseconds"),
            (["WATCHDOG_USEC": " 5"], "WATCHDOG_USEC \" 5\" is not a positive number of microseconds"),
            (
                ["WATCHDOG_USEC": "18446744073709551615"],
                "WATCHDOG_USEC \"18446744073709551615\" is not a positive number of microseconds"
            ),
            (
                ["WATCHDOG_USEC": "99999999999999999999"],
                "WATCHDOG_USEC \"99999999999999999999\" is not a positive number of microseconds"
            ),
            (
                ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "7"],
                "WATCHDOG_PID 7 names another process than this one (pid 42)"
            ),
            (["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "me"], "WATCHDOG_PID \"me\" is not a process id"),
        ])
    func disabled(environment: [String: String], reason: String) {
        #expect(WatchdogSettings.resolve(environment: environment, pid: 42) == .disabled(reason: reason))
        #expect(WatchdogSettings(environment: environment, pid: 42) == nil)
    }
}
