import Foundation
import Testing
import WatcherLog

@Suite("Text format")
struct TextFormatTests {
    @Test("a transition reads as timestamp, level, event, then fields in the order given")
    func exactLine() {
        let line = LogLineFormatter.text(
            record(
                .info,
                "task.transition",
                ["merchant": "1900000001", "task_id": "abc", "from": "PENDING", "to": "SUCCESS"]
            )
        )
        #expect(
            line
                == "2026-11-22T08:00:00.123Z info task.transition merchant=1900000001 task_id=abc from=PENDING to=SUCCESS"
        )
    }

    @Test("numbers and booleans are written bare")
    func typedValues() {
        let line = LogLineFormatter.text(record(.warning, "api.retry", ["attempt": 3, "delay": 0.25, "final": false]))
        #expect(line == "2026-11-22T08:00:00.123Z warning api.retry attempt=3 delay=0.25 final=false")
    }

    @Test(
        "values are quoted only when they must be, with escapes",
        arguments: [
            ("PENDING", "PENDING"),
            ("https://api.mch.weixin.qq.com/v3/x?y", "https://api.mch.weixin.qq.com/v3/x?y"),
            ("two words", #""two words""#),
            (#"say "hi""#, #""say \"hi\"""#),
            ("a=b", #""a=b""#),
            (#"C:\path"#, #""C:\\path""#),
            ("line1\nline2", #""line1\nline2""#),
            ("cr\rtab\t", #""cr\rtab\t""#),
            ("bell\u{07}", #""bell\u{07}""#),
            ("del\u{7F}", #""del\u{7F}""#),
            ("", #""""#),
            ("系统繁忙，请稍后重试", "\"系统繁忙，请稍后重试\""),
        ]
    )
    func quoting(value: String, written: String) {
        let line = LogLineFormatter.text(record(.error, "api.failed", ["message": .string(value)]))
        #expect(line == "2026-11-22T08:00:00.123Z error api.failed message=\(written)")
    }

    @Test("event names and keys that would break the line are made safe instead of quoted")
    func unsafeNames() {
        let line = LogLineFormatter.text(record(.info, "bad event", ["a key": 1, "": 2, "k=v": 3]))
        #expect(line == "2026-11-22T08:00:00.123Z info bad_event a_key=1 _=2 k_v=3")
    }

    @Test("format(_:as:) picks the formatter, and neither ends with a newline")
    func formatDispatch() {
        let sample = record(.info, "daemon.started", ["version": "1.0"])
        #expect(LogLineFormatter.format(sample, as: .text) == LogLineFormatter.text(sample))
        #expect(LogLineFormatter.format(sample, as: .json) == LogLineFormatter.json(sample))
        #expect(!LogLineFormatter.text(sample).hasSuffix("\n"))
        #expect(!LogLineFormatter.json(sample).hasSuffix("\n"))
    }
}

@Suite("JSON format")
struct JSONFormatTests {
    private func parse(_ line: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try #require(object as? [String: Any])
    }

    @Test("one object: ts, level, event, then fields with JSON types")
    func exactObject() throws {
        let line = LogLineFormatter.json(
            record(.info, "task.transition", ["task_id": "abc", "attempt": 3, "ratio": 0.5, "final": true])
        )
        #expect(
            line
                == #"{"ts":"2026-11-22T08:00:00.123Z","level":"info","event":"task.transition","task_id":"abc","attempt":3,"ratio":0.5,"final":true}"#
        )
        let object = try parse(line)
        #expect(Set(object.keys) == ["ts", "level", "event", "task_id", "attempt", "ratio", "final"])
        #expect(object["ts"] as? String == "2026-11-22T08:00:00.123Z")
        #expect(object["level"] as? String == "info")
        #expect(object["event"] as? String == "task.transition")
        #expect(object["task_id"] as? String == "abc")
        #expect(object["attempt"] as? Int == 3)
        #expect(object["ratio"] as? Double == 0.5)
        #expect(object["final"] as? Bool == true)
    }

    @Test("quotes, backslashes and control characters are escaped; Chinese stays UTF-8")
    func escaping() throws {
        let message = "商户号不存在 \"quoted\" back\\slash\nnew\ttab\u{01}\u{08}\u{0C}\u{1F}"
        let line = LogLineFormatter.json(record(.error, "api.failed", ["message": .string(message)]))
        #expect(
            line.hasSuffix(
                #""message":"商户号不存在 \"quoted\" back\\slash\nnew\ttab\u0001\b\f\u001F"}"#
            )
        )
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 })
        #expect(try parse(line)["message"] as? String == message)
    }

    @Test("fields named ts, level or event are written as field.ts, field.level, field.event")
    func reservedKeys() throws {
        let line = LogLineFormatter.json(
            record(.info, "job.done", ["ts": "mine", "level": 7, "event": "x", "other": 1]))
        let object = try parse(line)
        #expect(object["ts"] as? String == "2026-11-22T08:00:00.123Z")
        #expect(object["level"] as? String == "info")
        #expect(object["event"] as? String == "job.done")
        #expect(object["field.ts"] as? String == "mine")
        #expect(object["field.level"] as? Int == 7)
        #expect(object["field.event"] as? String == "x")
        #expect(object["other"] as? Int == 1)
    }

    @Test("non-finite doubles, which JSON cannot hold as numbers, become strings")
    func nonFiniteDoubles() throws {
        let object = try parse(
            LogLineFormatter.json(record(.info, "x", ["a": .double(.nan), "b": .double(-.infinity)])))
        #expect(object["a"] as? String == "nan")
        #expect(object["b"] as? String == "-inf")
    }
}
