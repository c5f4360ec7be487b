import Glibc

/// The `Date` header value in IMF-fixdate form, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
///
/// Formatted by hand from `gmtime_r`: no locale, no shared formatter to lock, one call per response.
enum HTTPDate {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The current time.
    static func now() -> String {
        format(secondsSinceEpoch: time(nil))
    }

    static func format(secondsSinceEpoch: time_t) -> String {
        var seconds = secondsSinceEpoch
        var parts = tm()
        _ = gmtime_r(&seconds, &parts)
        let weekday = weekdays[Int(parts.tm_wday)]
        let date = "\(twoDigits(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900)"
        let time = "\(twoDigits(parts.tm_hour)):\(twoDigits(parts.tm_min)):\(twoDigits(parts.tm_sec))"
        return "\(weekday), \(date) \(time) GMT"
    }

    private static func twoDigits(_ value: Int32) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
