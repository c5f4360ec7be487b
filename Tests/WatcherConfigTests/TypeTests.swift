import Foundation
import Testing

@testable import WatcherConfig

/// Types are checked strictly: no string for a number, no boolean for a number, no array for an object.
@Suite struct TypeTests {
    @Test func stringWhereAnIntegerBelongsIsRefused() {
        let text = Fixture.file(
            merchants: [
                Fixture.merchant(), Fixture.merchant(["mchid": #""1900000002""#, "requests_per_second": #""20""#]),
            ]
        )
        #expect(
            Fixture.problems(text) == [#"merchants[1].requests_per_second: expected an integer, found the string "20""#]
        )
    }

    @Test func booleanIsNotANumber() {
        let text = Fixture.file([
            "api": #"{"base_url": "https://api.mch.weixin.qq.com", "request_timeout_seconds": true}"#
        ])
        #expect(Fixture.problems(text) == ["api.request_timeout_seconds: expected a number, found the boolean true"])
    }

    @Test func numberIsNotAString() {
        let text = Fixture.file(["log_level": "1"], merchants: [Fixture.merchant(["mchid": "1900000001"])])
        #expect(
            Fixture.problems(text) == [
                "log_level: expected a string, found the number 1",
                "merchants[0].mchid: expected a string, found the number 1900000001",
            ]
        )
    }

    @Test func decodingKeepsBooleansAndNumbersApart() throws {
        let value = try JSONDecoder().decode(JSONValue.self, from: Data("[1, true, 0, false, 1.5]".utf8))
        #expect(value == .array([.number(1), .bool(true), .number(0), .bool(false), .number(1.5)]))
    }

    @Test func fractionIsNotAnInteger() {
        let text = Fixture.file(merchants: [Fixture.merchant(["requests_per_second": "20.5"])])
        #expect(
            Fixture.problems(text) == ["merchants[0].requests_per_second: expected an integer, found the number 20.5"])
    }

    @Test func arraysAndObjectsAreNotInterchangeable() {
        let text = Fixture.file(["api": "[]", "polling": "[1]"], merchants: [#""1900000001""#, "[]"])
        #expect(
            Fixture.problems(text) == [
                "api: expected an object, found an array",
                "polling: expected an object, found an array",
                #"merchants[0]: expected an object, found the string "1900000001""#,
                "merchants[1]: expected an object, found an array",
            ]
        )
        #expect(
            Fixture.problems(Fixture.file(["merchants": "{}"])) == ["merchants: expected an array, found an object"])
    }

    @Test func wrongTypeIsReportedOnceEvenForKeysWithSpecialValues() {
        #expect(
            Fixture.problems(Fixture.file(["log_file": "5"])) == ["log_file: expected a string, found the number 5"])
    }

    @Test func nullIsNotARequiredValue() {
        #expect(Fixture.problems(Fixture.file(["database": "null"])) == ["database: expected a string, found null"])
    }

    @Test func topLevelMustBeAnObject() {
        #expect(Fixture.problems("[1, 2]") == ["the top level: expected an object, found an array"])
    }
}
