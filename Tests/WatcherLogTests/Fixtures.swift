import Foundation
import WatcherLog

/// 2026-11-22T08:00:00.123Z, built from epoch seconds so no formatter is involved.
let fixedDate = Date(timeIntervalSince1970: 1_795_334_400.123)

/// A record at the fixed date.
func record(
    _ level: LogLevel = .info,
    _ event: String = "task.transition",
    _ fields: KeyValuePairs<String, LogValue> = [:]
) -> LogRecord {
    LogRecord(
        timestamp: fixedDate,
        level: level,
        event: event,
        fields: fields.map { LogField(key: $0.key, value: $0.value) }
    )
}

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("watcherlog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    }

    func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }

    func lines(of name: String) throws -> [String] {
        let text = try String(contentsOfFile: path(name), encoding: .utf8)
        guard text.hasSuffix("\n") else { return text.isEmpty ? [] : [text] }
        return text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
