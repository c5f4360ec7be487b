import Foundation
import Testing
import WatcherConfig

/// A file that cannot be read or parsed is one clear problem, naming the file.
@Suite struct FileTests {
    @Test func malformedJSONReportsFoundationsPositionAsLineAndColumn() {
        let text = "{\n  \"database\": \"/x\",\n  \"api\": x\n}"
        #expect(
            Fixture.problems(text) == [
                "the file is not valid JSON: Invalid value around character 31. (line 3, column 10)"
            ]
        )
    }

    @Test func aKeyGivenTwiceInOneObjectIsReportedWithItsPathAndLine() {
        let text = """
            {
              "database": "/x",
              "log_level": "info",
              "api": {"base_url": "https://a.test", "request_timeout_seconds": 5,
                      "request_timeout_seconds": 9},
              "log_level": "debug"
            }
            """
        #expect(
            Fixture.problems(text) == [
                "the key api.request_timeout_seconds appears twice in one object (again on line 5); keep one"
            ])
        #expect(
            Fixture.problems(#"{"log_level": "info", "merchants": [{"a": 1}, {"a": 2}], "log_level": "x"}"#) == [
                "the key log_level appears twice in one object (again on line 1); keep one"
            ], "the same key in two objects of an array is not a repeat; the top-level one is")
        #expect(
            !Fixture.problems(#"{"a": "log_level, \"log_level\": 1", "log_level": "info"}"#)
                .contains { $0.contains("appears twice") }, "a key's name inside a string value is not a key")
    }

    @Test func truncatedJSONIsReported() {
        #expect(
            Fixture.problems(#"{"database": "/x""#) == [
                "the file is not valid JSON: Unexpected end of file during JSON parse."
            ])
    }

    @Test func invalidUTF8IsReported() {
        let bytes: [UInt8] = Array(#"{"database": ""#.utf8) + [0xFF] + Array(#""}"#.utf8)
        #expect(throws: ConfigError.self) { try ConfigurationLoader.parse(bytes, configFile: Fixture.configFile) }
        do {
            _ = try ConfigurationLoader.parse(bytes, configFile: Fixture.configFile)
        } catch {
            #expect(error.problems.count == 1)
            #expect(error.problems[0].hasPrefix("the file is not valid JSON: Invalid UTF-8"))
        }
    }

    @Test(arguments: ["", " \n\t\n"])
    func emptyFileIsReported(text: String) {
        #expect(
            Fixture.problems(text) == [
                #"the file is empty; it must hold a JSON object with at least "database", "api" and "merchants""#
            ]
        )
    }

    @Test func missingFileReportsTheSystemErrorAndTheAbsolutePath() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path + "/absent.json"
        #expect(
            throws: ConfigError(file: path, problems: ["cannot open the file: No such file or directory (errno 2)"])
        ) {
            try ConfigurationLoader.load(path: path)
        }
    }

    @Test func folderInsteadOfAFileIsReported() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        #expect(throws: ConfigError(file: folder.path, problems: ["cannot read the file: Is a directory (errno 21)"])) {
            try ConfigurationLoader.load(path: folder.path)
        }
    }

    @Test func fileOnDiskLoads() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let file = try folder.write(Fixture.file(["database": #""watcher.sqlite3""#]), to: "config.json")
        let configuration = try ConfigurationLoader.load(path: file).configuration
        #expect(configuration.configFile == file)
        #expect(configuration.database == folder.path + "/watcher.sqlite3")
    }

    @Test func everyTruncationOfTheExampleIsOneProblemNeverACrash() throws {
        let bytes = Array(try String(contentsOfFile: ExampleFileTests.examplePath, encoding: .utf8).utf8)
        for length in 0..<bytes.count - 1 {
            do {
                _ = try ConfigurationLoader.parse(Array(bytes[..<length]), configFile: Fixture.configFile)
                Issue.record("a file cut after \(length) bytes was accepted")
            } catch {
                #expect(error.problems.count == 1 && error.problems[0].hasPrefix("the file is "))
            }
        }
    }
}
