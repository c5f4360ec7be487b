import Foundation
import Testing

@testable import WatcherCLI

@Suite("FileStamps: telling a key file replaced at the same path")
struct FileStampsTests {
    @Test("a file rewritten, or replaced by mv, at the same path is changed; an untouched one is not")
    func replacedAtTheSamePath() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stamps-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (key, other, moved) = (folder + "/apiclient_key.pem", folder + "/pub_key.pem", folder + "/v3.key")
        for path in [key, other, moved] { try Data("first".utf8).write(to: URL(fileURLWithPath: path)) }
        let atStart = FileStamps([key, other, moved])
        #expect(atStart.changed(in: FileStamps([key, other, moved])).isEmpty)
        try Data("second, longer".utf8).write(to: URL(fileURLWithPath: key))
        try Data("new".utf8).write(to: URL(fileURLWithPath: folder + "/staged"))
        _ = rename(folder + "/staged", moved)
        #expect(atStart.changed(in: FileStamps([key, other, moved])) == [key, moved])
        try FileManager.default.removeItem(atPath: other)
        #expect(atStart.changed(in: FileStamps([key, other, moved])) == [key, other, moved], "a file gone is changed")
        #expect(atStart.changed(in: FileStamps([key])) == [key], "files the later set does not name are not compared")
    }
}
