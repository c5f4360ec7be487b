import Testing

@testable import WatcherCLI

/// What the soak reports from its once-a-minute readings of the watcher process.
@Suite("Soak readings")
struct SoakSampleTests {
    /// Readings at minutes 1…`minutes`, RSS `base + minute × growth` bytes, 150 requests a second.
    static func result(minutes: Int, base: Int, growth: Int) -> BenchResult {
        var result = BenchResult(policy: "budget")
        result.samples = (1...minutes).map { minute in
            ResourceSample(
                minute: minute, residentBytes: base + minute * growth, anonymousBytes: nil, threads: 40,
                descriptors: 30, requests: minute * 60 * 150)
        }
        return result
    }

    @Test("the slope is the growth per minute from minute 5 on")
    func slopeFromMinuteFive() throws {
        var result = Self.result(minutes: 30, base: 40 << 20, growth: 10_240)
        // A start-up climb before minute 5 is not growth: the queue and caches fill first.
        result.samples[0].residentBytes = 10 << 20
        let slope = try #require(result.residentSlope)
        #expect(abs(slope - 10_240) < 1e-6)
    }

    @Test("flat readings have no slope")
    func flatReadings() throws {
        let slope = try #require(Self.result(minutes: 30, base: 45 << 20, growth: 0).residentSlope)
        #expect(abs(slope) < 1e-6)
    }

    @Test("requests per second run from the named minute to the last reading")
    func requestRate() {
        let result = Self.result(minutes: 30, base: 0, growth: 0)
        #expect(result.requestRate(fromMinute: 5) == 150)
        #expect(result.sample(atMinute: 5)?.requests == 5 * 60 * 150)
    }

    @Test("a run cut before minute 6 reports no slope and no rate, not a wrong one")
    func cutRun() {
        let result = Self.result(minutes: 5, base: 40 << 20, growth: 1_024)
        #expect(result.residentSlope == nil)
        #expect(result.requestRate(fromMinute: 5) == nil)
    }
}
