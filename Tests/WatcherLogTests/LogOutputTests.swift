import Foundation
import Testing
import WatcherLog

@Suite("LogOutput")
struct LogOutputTests {
    /// The event names of a log file's lines, in order; nil entries for lines that do not parse.
    private func events(in name: String, of directory: TemporaryDirectory) throws -> [String?] {
        try directory.lines(of: name).map { LogLineParser.parseText($0)?.event }
    }

    @Test("lines are appended to the file, after what it already held")
    func appendsToFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("watcher.log")
        try "earlier line\n".write(toFile: path, atomically: false, encoding: .utf8)

        let output = try LogOutput(destination: .file(path: path))
        let logger = Logger(sink: output, clock: { fixedDate })
        logger.info("daemon.started", ["version": "1.0"])
        logger.debug("poll.scheduled")
        logger.error("merchant.paused", ["reason": "签名验证失败"])

        #expect(
            try directory.lines(of: "watcher.log") == [
                "earlier line",
                "2026-11-22T08:00:00.123Z info daemon.started version=1.0",
                "2026-11-22T08:00:00.123Z error merchant.paused reason=\"签名验证失败\"",
            ]
        )
        #expect(output.writeFailures == 0)
        #expect(output.destination == .file(path: path))
    }

    @Test("a new file is created with permissions no wider than 0640")
    func newFileMode() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("watcher.log")
        _ = try LogOutput(destination: .file(path: path))
        let mode = try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode & ~0o640 == 0)
        #expect(mode & 0o600 == 0o600)
    }

    @Test("reopen() after the file was moved away starts a new file; the old one keeps the earlier lines")
    func reopenAfterRotation() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let output = try LogOutput(destination: .file(path: directory.path("watcher.log")))
        let logger = Logger(sink: output, clock: { fixedDate })

        logger.info("before.rotation")
        try FileManager.default.moveItem(atPath: directory.path("watcher.log"), toPath: directory.path("watcher.log.1"))
        logger.info("still.old.descriptor")
        try output.reopen()
        logger.info("after.rotation")

        #expect(try events(in: "watcher.log.1", of: directory) == ["before.rotation", "still.old.descriptor"])
        #expect(try events(in: "watcher.log", of: directory) == ["after.rotation"])
    }

    @Test("a file in a missing directory cannot be opened, and the error names the path and the reason")
    func missingDirectory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("no-such-dir/watcher.log")
        let error = try #require(throws: LogOutputError.self) { try LogOutput(destination: .file(path: path)) }
        #expect(error.path == path)
        #expect(error.code == ENOENT)
        #expect(error.description == "cannot open log file \(path): No such file or directory")
    }

    @Test("a failed reopen throws and keeps writing to the old descriptor")
    func failedReopenKeepsOldDescriptor() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let subdirectory = directory.url.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: subdirectory, withIntermediateDirectories: false)
        let path = subdirectory.appendingPathComponent("watcher.log").path
        let output = try LogOutput(destination: .file(path: path))
        let logger = Logger(sink: output, clock: { fixedDate })

        try FileManager.default.moveItem(at: subdirectory, to: directory.url.appendingPathComponent("moved"))
        #expect(throws: LogOutputError(path: path, code: ENOENT)) { try output.reopen() }
        logger.info("after.failed.reopen")

        #expect(try directory.lines(of: "moved/watcher.log").count == 1)
        #expect(output.writeFailures == 0)
    }

    @Test("reconfigure changes level, format and file; a failure changes nothing")
    func reconfigure() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let output = try LogOutput(destination: .file(path: directory.path("a.log")), format: .text, level: .info)
        let logger = Logger(sink: output, clock: { fixedDate })

        try output.reconfigure(destination: .file(path: directory.path("b.log")), format: .json, level: .debug)
        logger.debug("now.json")
        #expect(output.level == .debug)
        #expect(output.format == .json)

        let missing = directory.path("missing/c.log")
        #expect(throws: LogOutputError.self) {
            try output.reconfigure(destination: .file(path: missing), format: .text, level: .error)
        }
        logger.debug("still.json")

        #expect(try directory.lines(of: "a.log").isEmpty)
        #expect(
            try directory.lines(of: "b.log") == [
                #"{"ts":"2026-11-22T08:00:00.123Z","level":"debug","event":"now.json"}"#,
                #"{"ts":"2026-11-22T08:00:00.123Z","level":"debug","event":"still.json"}"#,
            ]
        )
        #expect(output.destination == .file(path: directory.path("b.log")))
        #expect(output.level == .debug)
    }

    @Test("a write error is counted, not thrown or fatal")
    func writeFailuresAreCounted() throws {
        let output = try LogOutput(destination: .file(path: "/dev/full"))
        let logger = Logger(sink: output)
        logger.info("lost.one")
        logger.error("lost.two")
        #expect(output.writeFailures == 2)
    }

    @Test("a log file that stops taking lines says so once, elsewhere, naming the file and the error")
    func firstLostLineIsReported() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let output = try LogOutput(
            destination: .file(path: "/dev/full"), notices: .file(path: directory.path("journal")))
        for index in 0..<3 { output.write(record(.info, "transition", ["id": .int(index)])) }
        #expect(output.writeFailures == 3)
        let notices = try directory.lines(of: "journal").compactMap(LogLineParser.parseText)
        #expect(notices.map(\.event) == ["log.write_failed"], "one notice for the run, not one per line")
        #expect(notices.first?["file"] == .string("/dev/full"))
        #expect(notices.first?["error"]?.description.contains("No space left on device") == true)
    }

    @Test("once the log takes lines again, its first line says how many were dropped, since when and why")
    func droppedLinesAreCountedInTheLog() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // The configured path leads to a full disk until logrotate (here: the link moved) gives it a new file.
        let path = directory.path("watcher.log")
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/dev/full")
        let output = try LogOutput(destination: .file(path: path), notices: .file(path: directory.path("journal")))
        output.write(record(.info, "lost.one"))
        output.write(record(.info, "lost.two"))
        try FileManager.default.removeItem(atPath: path)
        try output.reopen()
        output.write(record(.info, "kept.one"))
        output.write(record(.info, "kept.two"))
        let lines = try directory.lines(of: "watcher.log").compactMap(LogLineParser.parseText)
        #expect(lines.map(\.event) == ["log.lines_dropped", "kept.one", "kept.two"])
        #expect(lines.first?["dropped"]?.description == "2")
        #expect(lines.first?["since"] == .string(Timestamp.rfc3339(fixedDate)))
        #expect(lines.first?["error"]?.description.contains("No space left on device") == true)
        #expect(try directory.lines(of: "journal").count == 1)
    }

    @Test("8 concurrent tasks × 500 lines give 4,000 intact lines")
    func concurrentWriters() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let output = try LogOutput(destination: .file(path: directory.path("watcher.log")))
        let logger = Logger(sink: output)

        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for sequence in 0..<500 {
                        logger.info(
                            "load.line",
                            [
                                "writer": .int(writer), "sequence": .int(sequence),
                                "message": "并发 写入 \"测试\" padding=\(sequence)",
                            ]
                        )
                    }
                }
            }
        }

        let records = try directory.lines(of: "watcher.log").map { try #require(LogLineParser.parseText($0)) }
        #expect(records.count == 4_000)
        let identities = Set(records.map { "\($0["writer"] ?? "?")/\($0["sequence"] ?? "?")" })
        #expect(identities.count == 4_000)
        #expect(records.allSatisfy { $0["message"]?.description.hasPrefix("并发 写入 \"测试\" padding=") == true })
        #expect(output.writeFailures == 0)
    }
}
