import Testing
import WatcherConfig

/// Every problem is reported at once, so one edit fixes the file.
@Suite struct ProblemListTests {
    @Test func everyProblemIsReportedNotOnlyTheFirst() {
        let text = Fixture.file(
            [
                "database": #""~/watcher.sqlite3""#, "log_level": #""loud""#,
                "api": #"{"base_url": "http://example.com"}"#,
            ],
            merchants: [
                Fixture.merchant(["mchid": #""abc""#, "requests_per_second": "0"]),
                Fixture.merchant(["mchid": #""1900000002""#, "requests_per_sec": "5"]),
            ]
        )
        let problems = Fixture.problems(text)
        #expect(problems.count == 6)
        #expect(problems.contains { $0.hasPrefix("database: ") })
        #expect(problems.contains { $0.hasPrefix("log_level: ") })
        #expect(problems.contains { $0.hasPrefix("api.base_url: ") })
        #expect(problems.contains { $0.hasPrefix("merchants[0].mchid: ") })
        #expect(problems.contains { $0.hasPrefix("merchants[0].requests_per_second: ") })
        #expect(problems.contains { $0.hasPrefix(#"unknown key "requests_per_sec" in merchants[1]"#) })
    }

    @Test func descriptionListsEveryProblemUnderTheFileName() {
        let error = ConfigError(file: "/etc/x.json", problems: ["first", "second"])
        #expect(error.description == "configuration file /etc/x.json has 2 problems:\n  - first\n  - second")
        #expect(
            ConfigError(file: "/etc/x.json", problems: ["only"]).description
                == "configuration file /etc/x.json has 1 problem:\n  - only")
    }

    @Test func errorNamesTheAbsoluteConfigFile() {
        #expect(
            throws: ConfigError(
                file: Fixture.configFile, problems: ["merchants: the list is empty; configure at least one merchant"])
        ) {
            try Fixture.load(Fixture.file(merchants: []))
        }
    }
}
