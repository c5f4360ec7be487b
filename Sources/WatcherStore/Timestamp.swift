import Foundation
import WatcherLog

/// The one timestamp format the database uses: RFC 3339 UTC with milliseconds, e.g. `2026-11-22T08:00:00.123Z`,
/// the same text SQLite's `strftime('%Y-%m-%dT%H:%M:%fZ','now')` default writes into `created_at`.
package enum Timestamp {
    /// Formats a date, exactly as log lines do (milliseconds rounded to the nearest).
    package static func rfc3339(_ date: Date) -> String {
        LogLineFormatter.timestamp(date)
    }

    /// Parses the format above (and the same without milliseconds); nil for anything else.
    package static func parse(_ text: String) -> Date? {
        let digits = Array(text.utf8)
        guard digits.count == 20 || digits.count == 24, digits.last == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = digits[index]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        let millis = digits.count == 24 ? number(20..<23) : 0
        guard let millis else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let epoch = timegm(&parts)
        return Date(timeIntervalSince1970: Double(epoch) + Double(millis) / 1000)
    }
}
