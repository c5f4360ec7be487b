import Foundation
import Testing
import WatcherLog

@Suite("Logger")
struct LoggerTests {
    private let sink = InMemoryLogSink(level: .info)
    private var logger: Logger { Logger(sink: sink, clock: { fixedDate }) }

    @Test("records carry the clock's time, the level, the event and the fields")
    func writesRecord() {
        logger.warning("merchant.paused", ["merchant": "1900000001", "failures": 5])
        #expect(
            sink.records == [
                LogRecord(
                    timestamp: fixedDate,
                    level: .warning,
                    event: "merchant.paused",
                    fields: [
                        LogField(key: "merchant", value: .string("1900000001")),
                        LogField(key: "failures", value: .int(5)),
                    ]
                )
            ]
        )
        #expect(sink.lines == ["2026-11-22T08:00:00.123Z warning merchant.paused merchant=1900000001 failures=5"])
    }

    @Test("a disabled level writes nothing and never evaluates its fields")
    func disabledLevelSkipsFields() {
        var evaluations = 0
        func expensive() -> LogValue {
            evaluations += 1
            return "built"
        }
        logger.debug("poll.scheduled", ["detail": expensive()])
        logger.log(.debug, "poll.scheduled", ["detail": expensive()])
        #expect(evaluations == 0)
        #expect(sink.records.isEmpty)
        #expect(!logger.isEnabled(.debug))

        logger.info("poll.scheduled", ["detail": expensive()])
        #expect(evaluations == 1)
        #expect(sink.records.count == 1)
    }

    @Test("each level method writes at its level; the sink keeps info and above")
    func levels() {
        logger.debug("a")
        logger.info("b")
        logger.warning("c")
        logger.error("d")
        #expect(sink.records.map(\.level) == [.info, .warning, .error])
        #expect(sink.records.map(\.event) == ["b", "c", "d"])
    }

    @Test("with(_:) fields come first, in the order added, then the call's fields")
    func baseFieldsFirst() {
        let scoped = logger.with(["merchant": "1900000001"]).with(["resource": "image_task"])
        scoped.info("task.transition", ["task_id": "abc", "to": "SUCCESS"])
        #expect(sink.records.first?.fields.map(\.key) == ["merchant", "resource", "task_id", "to"])
        #expect(logger.fields.isEmpty)
    }

    @Test("fields built elsewhere as [LogField] log the same way")
    func fieldArrays() {
        logger.log(.error, "row.rejected", fields: [LogField(key: "status", value: 404)])
        #expect(sink.records(named: "row.rejected").first?["status"] == .int(404))
    }

    @Test("Logger.disabled is off for every level and evaluates nothing")
    func disabledLogger() {
        var evaluated = false
        func mark() -> LogValue {
            evaluated = true
            return 1
        }
        Logger.disabled.error("x", ["k": mark()])
        #expect(!evaluated)
        #expect(LogLevel.allCases.allSatisfy { !Logger.disabled.isEnabled($0) })
    }

    @Test("literals and interpolation pick the value's case")
    func literals() {
        let count = 7
        let fields: KeyValuePairs<String, LogValue> = ["s": "x", "i": 1, "d": 1.5, "b": true, "t": "n=\(count)"]
        #expect(fields.map(\.value) == [.string("x"), .int(1), .double(1.5), .bool(true), .string("n=7")])
        #expect(fields.map(\.value.description) == ["x", "1", "1.5", "true", "n=7"])
    }

    @Test("the in-memory sink finds records by event and forgets on removeAll")
    func inMemorySink() {
        logger.info("a")
        logger.info("b")
        logger.info("a")
        #expect(sink.records(named: "a").count == 2)
        sink.removeAll()
        #expect(sink.records.isEmpty)
    }
}
