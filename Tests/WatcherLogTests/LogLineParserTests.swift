import Foundation
import Testing
import WatcherLog

@Suite("Text parser")
struct LogLineParserTests {
    @Test("parsing a formatted line gives back the record, values as strings")
    func roundTrip() throws {
        let original = record(
            .warning,
            "api.failed",
            [
                "merchant": "1900000001", "status": 429, "retry": true, "delay": 0.25, "empty": "",
                "message": "频率超限 \"slow down\" a=b\\c\nnext\tcol\u{1B}[0m",
            ]
        )
        let line = LogLineFormatter.text(original)
        let parsed = try #require(LogLineParser.parseText(line))
        #expect(parsed.timestamp == original.timestamp)
        #expect(parsed.level == .warning)
        #expect(parsed.event == "api.failed")
        #expect(parsed.fields == original.fields.map { LogField(key: $0.key, value: .string($0.value.description)) })
        #expect(LogLineFormatter.text(parsed) == line)
    }

    @Test("a line without fields, and a line read with its newline, parse")
    func minimalLines() throws {
        let parsed = try #require(LogLineParser.parseText("2026-11-22T08:00:00.123Z info daemon.started\n"))
        #expect(parsed == LogRecord(timestamp: fixedDate, level: .info, event: "daemon.started"))
    }

    @Test(
        "anything else is rejected",
        arguments: [
            "",
            "hello world",
            "2026-11-22T08:00:00.123Z",
            "2026-11-22T08:00:00.123Z info",
            "2026-11-22T08:00:00.123Z loud event",
            "2026-02-30T08:00:00.123Z info event",
            "2026-11-22 08:00:00.123Z info event",
            "2026-11-22T08:00:00.123Z info event key",
            "2026-11-22T08:00:00.123Z info event key=",
            "2026-11-22T08:00:00.123Z info event =value",
            "2026-11-22T08:00:00.123Z info event key=\"unterminated",
            "2026-11-22T08:00:00.123Z info event key=\"bad \\q escape\"",
            "2026-11-22T08:00:00.123Z info event a=1  b=2",
            "2026-11-22T08:00:00.123Z info event a=1 ",
        ]
    )
    func rejects(line: String) {
        #expect(LogLineParser.parseText(line) == nil)
    }
}
