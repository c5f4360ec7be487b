import Foundation
import Testing
import WatcherLog

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Timestamps")
struct TimestampTests {
    @Test(
        "calendar edges: leap days, century years, the epoch",
        arguments: [
            (1_795_334_400.123, "2026-11-22T08:00:00.123Z"),
            (0, "1970-01-01T00:00:00.000Z"),
            (-0.001, "1969-12-31T23:59:59.999Z"),
            (951_825_600, "2000-02-29T12:00:00.000Z"),  // divisible by 400: leap
            (1_709_251_199.999, "2024-02-29T23:59:59.999Z"),
            (1_709_251_200, "2024-03-01T00:00:00.000Z"),
            (1_735_689_599.5, "2024-12-31T23:59:59.500Z"),  // day 366
            (4_107_542_399, "2100-02-28T23:59:59.000Z"),
            (4_107_542_400, "2100-03-01T00:00:00.000Z"),  // divisible by 100 only: no Feb 29
        ]
    )
    func calendarEdges(seconds: Double, expected: String) {
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: seconds)) == expected)
    }

    @Test(
        "milliseconds round to nearest and carry, never printing .1000",
        arguments: [
            (1_709_251_199.9996, "2024-03-01T00:00:00.000Z"),
            (1_709_251_199.9994, "2024-02-29T23:59:59.999Z"),
            (1_735_689_599.9999, "2025-01-01T00:00:00.000Z"),
            (1_795_334_400.0004, "2026-11-22T08:00:00.000Z"),
        ]
    )
    func millisecondRounding(seconds: Double, expected: String) {
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: seconds)) == expected)
    }

    @Test("a millisecond value binary floating point cannot hold exactly still prints as written")
    func inexactMilliseconds() {
        for millisecond in 0..<1000 {
            let date = Date(timeIntervalSince1970: 1_795_334_400 + Double(millisecond) / 1000)
            let suffix = String(Timestamp.rfc3339(date).suffix(4).prefix(3))
            #expect(Int(suffix) == millisecond)
        }
    }

    @Test("agrees with gmtime_r on every day from 1900 to 2400")
    func agreesWithGmtime() {
        var mismatches: [String] = []
        let firstDay = -25_567  // 1900-01-01
        let lastDay = 157_054  // 2399-12-31
        for day in firstDay...lastDay {
            let instant = day * 86_400 + abs(day * 3_607 % 86_400)  // a different time of day each day
            var time = time_t(instant)
            var parts = tm()
            gmtime_r(&time, &parts)
            let expected = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02d.000Z",
                parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec
            )
            let actual = Timestamp.rfc3339(Date(timeIntervalSince1970: Double(instant)))
            if actual != expected { mismatches.append("\(actual) != \(expected)") }
        }
        #expect(mismatches.isEmpty)
    }

    @Test("parsed back, with or without milliseconds; any other shape is nil")
    func roundTrip() {
        let date = Date(timeIntervalSince1970: 1_795_334_400.123)
        #expect(Timestamp.rfc3339(date) == "2026-11-22T08:00:00.123Z")
        #expect(Timestamp.parse("2026-11-22T08:00:00.123Z")?.timeIntervalSince1970 == 1_795_334_400.123)
        #expect(Timestamp.parse("2026-11-22T08:00:00Z")?.timeIntervalSince1970 == 1_795_334_400)
        #expect(Timestamp.parse("2026-11-22 08:00:00") == nil)
        #expect(Timestamp.parse("2026-13-22T08:00:00.000Z") == nil)
        #expect(Timestamp.parse("2026-11-22T08:00:00.12Z") == nil)
    }

    @Test("whole seconds, for certificate validity")
    func wholeSeconds() {
        #expect(Timestamp.rfc3339(wholeSeconds: 1_893_456_000) == "2030-01-01T00:00:00Z")
        #expect(Timestamp.rfc3339(wholeSeconds: 0) == "1970-01-01T00:00:00Z")
    }
}
