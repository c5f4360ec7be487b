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

    @Test func aKeyGivenTwiceInOneObjectIsAWarningWithItsPathAndLineAndTheFirstIsUsed() throws {
        let text = Fixture.file()
            .replacingOccurrences(
                of: #"{"base_url": "https://api.mch.weixin.qq.com"}"#,
                with: #"{"base_url": "https://api.mch.weixin.qq.com",\#n "base_url": "https://other.test"}"#)
        let loaded = try Fixture.load(text)
        #expect(
            loaded.warnings == [
                "the key api.base_url appears twice in one object (again on line 2); the first is used, the other ignored"
            ])
        #expect(loaded.configuration.api.baseURL == "https://api.mch.weixin.qq.com")
        let merchants = try Fixture.load(
            Fixture.file(merchants: [Fixture.merchant(), Fixture.merchant(["mchid": #""1900000002""#])]))
        #expect(
            merchants.warnings.allSatisfy { !$0.contains("appears twice") },
            "the same keys in two objects of an array are no repeat")
        let inString = try Fixture.load(
            Fixture.file(["log_level": #""info""#, "log_file": #""/var/log/w/log_level.log""#]))
        #expect(inString.warnings.allSatisfy { !$0.contains("appears twice") }, "a key's name inside a value is no key")
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
