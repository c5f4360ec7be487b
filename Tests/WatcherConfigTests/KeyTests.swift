import Testing
import WatcherConfig

/// Every key is either known or reported, with a suggestion when it looks like a typo.
@Suite struct KeyTests {
    @Test func unknownMerchantKeySuggestsTheClosestKnownKey() {
        let text = Fixture.file(merchants: [Fixture.merchant(["requests_per_sec": "20"])])
        #expect(
            Fixture.problems(text) == [
                #"unknown key "requests_per_sec" in merchants[0] (did you mean "requests_per_second"?)"#
            ]
        )
    }

    @Test func unknownNestedKeysNameTheirSection() {
        let text = Fixture.file([
            "api": #"{"base_url": "https://api.mch.weixin.qq.com", "backup_url": "https://api2.mch.weixin.qq.com"}"#,
            "polling": #"{"deadline_hour": 24}"#,
        ])
        #expect(
            Fixture.problems(text) == [
                #"unknown key "backup_url" in api"#,
                #"unknown key "deadline_hour" in polling (did you mean "deadline_hours"?)"#,
            ]
        )
    }

    @Test func unknownTopLevelKeySaysWhereItIs() {
        #expect(
            Fixture.problems(Fixture.file(["databse": #""/x""#, "colour": #""blue""#])) == [
                #"unknown key "colour" in the top-level object"#,
                #"unknown key "databse" in the top-level object (did you mean "database"?)"#,
            ]
        )
    }

    @Test func missingRequiredKeysAreEachNamed() {
        let text = Fixture.file(
            ["database": nil, "api": "{}"],
            merchants: [Fixture.merchant(["mchid": nil, "wechatpay_public_key_file": nil])]
        )
        #expect(
            Fixture.problems(text) == [
                #"missing required key "database" in the top-level object"#,
                #"missing required key "base_url" in api"#,
                #"missing required key "mchid" in merchants[0]"#,
                "merchants[0].wechatpay_public_key_file: is missing but wechatpay_public_key_id is given; "
                    + "the public key needs both its id and its file",
            ]
        )
    }

    @Test func missingSectionsAreNamed() {
        #expect(
            Fixture.problems(Fixture.file(["api": nil, "merchants": nil])) == [
                #"missing required key "api" in the top-level object"#,
                #"missing required key "merchants" in the top-level object"#,
            ]
        )
    }

    @Test func unknownLogLevelSuggestsAKnownOne() {
        #expect(
            Fixture.problems(Fixture.file(["log_level": #""warn""#, "log_format": #""jsno""#])) == [
                #"log_level: "warn" is not one of debug, info, warning, error (did you mean "warning"?)"#,
                #"log_format: "jsno" is not one of text, json (did you mean "json"?)"#,
            ]
        )
    }
}
