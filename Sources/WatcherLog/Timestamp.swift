#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The one timestamp codec: RFC 3339 UTC with milliseconds, `2026-11-22T08:00:00.123Z`, by integer arithmetic.
///
/// Log lines, the database's time columns (the same text SQLite's `strftime('%Y-%m-%dT%H:%M:%fZ','now')` default
/// writes into `created_at`) and command output all use it. Called for every log line, so no formatter objects, no
/// locale, no time zone database: the civil date comes from the day count with Howard Hinnant's `civil_from_days`
/// algorithm, valid for the proleptic Gregorian calendar.
package enum Timestamp {
    /// The byte length of every timestamp `rfc3339(_:)` writes.
    static let length = 24
    /// The byte length without the milliseconds, `2026-11-22T08:00:00Z`.
    private static let wholeSecondsLength = 20

    private static let secondsPerDay: Int64 = 86_400
    /// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the range four year digits can show.
    private static let millisecondRange: ClosedRange<Int64> = -62_167_219_200_000...253_402_300_799_999

    /// `date` rounded to the nearest millisecond, so 0.9996 s carries into the next second instead of printing `.1000`.
    package static func rfc3339(_ date: Date) -> String {
        let (days, millisecondOfDay) = dayAndMillisecond(of: date)
        let civil = civilDate(fromDays: days)
        let secondOfDay = millisecondOfDay / 1000
        return String(unsafeUninitializedCapacity: length) { buffer in
            var index = 0
            func put(_ value: Int64, digits: Int) {
                var remaining = value
                for offset in stride(from: digits - 1, through: 0, by: -1) {
                    buffer[index + offset] = UInt8(ascii: "0") + UInt8(remaining % 10)
                    remaining /= 10
                }
                index += digits
            }
            func put(_ character: Unicode.Scalar) {
                buffer[index] = UInt8(ascii: character)
                index += 1
            }
            put(civil.year, digits: 4)
            put("-")
            put(civil.month, digits: 2)
            put("-")
            put(civil.day, digits: 2)
            put("T")
            put(secondOfDay / 3600, digits: 2)
            put(":")
            put(secondOfDay / 60 % 60, digits: 2)
            put(":")
            put(secondOfDay % 60, digits: 2)
            put(".")
            put(millisecondOfDay % 1000, digits: 3)
            put("Z")
            return index
        }
    }

    /// Whole seconds since 1970 without the milliseconds, `2030-01-01T00:00:00Z`: how certificate validity is shown.
    package static func rfc3339(wholeSeconds seconds: Int64) -> String {
        String(rfc3339(Date(timeIntervalSince1970: Double(seconds))).prefix(wholeSecondsLength - 1)) + "Z"
    }

    /// The date of a timestamp `rfc3339(_:)` writes, or of the same without milliseconds; nil for anything else.
    package static func parse(_ text: String) -> Date? {
        parse(text.utf8)
    }

    /// The date of a timestamp `rfc3339(_:)` writes, or of the same without milliseconds; nil for anything else.
    package static func parse(_ text: some Collection<UInt8>) -> Date? {
        let bytes = Array(text)
        guard bytes.count == length || bytes.count == wholeSecondsLength else { return nil }
        let hasMilliseconds = bytes.count == length
        var separators: [(offset: Int, byte: UInt8)] = [
            (4, UInt8(ascii: "-")), (7, UInt8(ascii: "-")), (10, UInt8(ascii: "T")), (13, UInt8(ascii: ":")),
            (16, UInt8(ascii: ":")), (bytes.count - 1, UInt8(ascii: "Z")),
        ]
        if hasMilliseconds { separators.append((19, UInt8(ascii: "."))) }
        guard separators.allSatisfy({ bytes[$0.offset] == $0.byte }) else { return nil }
        func number(_ start: Int, _ count: Int) -> Int64? {
            var value: Int64 = 0
            for byte in bytes[start..<start + count] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            let millisecond = hasMilliseconds ? number(20, 3) : 0,
            (1...12).contains(month), (1...daysInMonth(year: year, month: month)).contains(day),
            hour < 24, minute < 60, second < 60
        else { return nil }
        let seconds = days(fromYear: year, month: month, day: day) * secondsPerDay + hour * 3600 + minute * 60 + second
        return Date(timeIntervalSince1970: Double(seconds) + Double(millisecond) / 1000)
    }

    /// Whole days since 1970-01-01 and the millisecond within that day, clamped to years 0000...9999.
    private static func dayAndMillisecond(of date: Date) -> (days: Int64, millisecond: Int64) {
        let exact = (date.timeIntervalSince1970 * 1000).rounded()
        let milliseconds: Int64
        if exact.isNaN {
            milliseconds = 0
        } else if exact <= Double(millisecondRange.lowerBound) {
            milliseconds = millisecondRange.lowerBound
        } else if exact >= Double(millisecondRange.upperBound) {
            milliseconds = millisecondRange.upperBound
        } else {
            milliseconds = Int64(exact)
        }
        let millisecondsPerDay = secondsPerDay * 1000
        let (quotient, remainder) = milliseconds.quotientAndRemainder(dividingBy: millisecondsPerDay)
        return remainder < 0 ? (quotient - 1, remainder + millisecondsPerDay) : (quotient, remainder)
    }

    /// The Gregorian date `days` after 1970-01-01 (`civil_from_days`).
    private static func civilDate(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468  // days since 0000-03-01
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let marchBasedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * marchBasedMonth + 2) / 5 + 1
        let month = marchBasedMonth < 10 ? marchBasedMonth + 3 : marchBasedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days from 1970-01-01 to a Gregorian date (`days_from_civil`).
    private static func days(fromYear year: Int64, month: Int64, day: Int64) -> Int64 {
        let marchBasedYear = month <= 2 ? year - 1 : year
        let era = (marchBasedYear >= 0 ? marchBasedYear : marchBasedYear - 399) / 400
        let yearOfEra = marchBasedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func isLeap(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }
}
