#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Turns a record into one log line, without the trailing newline.
///
/// Text: `2026-11-22T08:00:00.123Z info task.transition merchant=1900000001 task_id=abc`.
/// JSON: `{"ts":"2026-11-22T08:00:00.123Z","level":"info","event":"task.transition","merchant":"1900000001"}`.
package enum LogLineFormatter {
    /// Field keys the JSON format reserves for the record itself; a field so named is written `field.<key>`.
    package static let reservedJSONKeys: Set<String> = ["ts", "level", "event"]

    /// The record in `format`.
    package static func format(_ record: LogRecord, as format: LogFormat) -> String {
        switch format {
        case .text: text(record)
        case .json: json(record)
        }
    }

    /// `<timestamp> <level> <event> key=value …`, values quoted only when they need it.
    package static func text(_ record: LogRecord) -> String {
        var line = Timestamp.rfc3339(record.timestamp)
        line.reserveCapacity(128)
        line += " "
        line += record.level.rawValue
        line += " "
        LogEscaping.appendTextName(record.event, to: &line)
        for field in record.fields {
            line += " "
            LogEscaping.appendTextName(field.key, to: &line)
            line += "="
            LogEscaping.appendTextValue(field.value.description, to: &line)
        }
        return line
    }

    /// One JSON object: `ts`, `level`, `event`, then the fields in order; numbers and booleans unquoted.
    package static func json(_ record: LogRecord) -> String {
        var line = "{\"ts\":\""
        line.reserveCapacity(160)
        line += Timestamp.rfc3339(record.timestamp)
        line += "\",\"level\":\""
        line += record.level.rawValue
        line += "\",\"event\":"
        LogEscaping.appendJSONString(record.event, to: &line)
        for field in record.fields {
            line += ","
            let key = reservedJSONKeys.contains(field.key) ? "field." + field.key : field.key
            LogEscaping.appendJSONString(key, to: &line)
            line += ":"
            appendJSONValue(field.value, to: &line)
        }
        line += "}"
        return line
    }

    private static func appendJSONValue(_ value: LogValue, to line: inout String) {
        switch value {
        case .string(let string): LogEscaping.appendJSONString(string, to: &line)
        case .int(let int): line += String(int)
        case .bool(let bool): line += bool ? "true" : "false"
        case .double(let double) where double.isFinite: line += String(double)
        case .double(let double): LogEscaping.appendJSONString(String(double), to: &line)
        }
    }
}
