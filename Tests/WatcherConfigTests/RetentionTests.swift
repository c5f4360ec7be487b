import Testing
import WatcherConfig

/// Nothing is deleted unless the operator chose a period; a period is whole days up to a century.
@Suite struct RetentionTests {
    private static func retention(_ json: String) -> String { Fixture.file(["retention": json]) }

    @Test func withoutARetentionSectionEverythingIsKept() throws {
        let configuration = try Fixture.load(Fixture.file()).configuration
        #expect(configuration.retention == RetentionSettings(finalRowDays: 0, transitionDays: 0))
        #expect(configuration.retention == .defaults)
    }

    @Test func bothPeriodsAreRead() throws {
        let text = Self.retention(#"{"final_row_days": 30, "transition_days": 7}"#)
        #expect(
            try Fixture.load(text).configuration.retention == RetentionSettings(finalRowDays: 30, transitionDays: 7))
    }

    @Test func aLeftOutKeyKeepsItsDefault() throws {
        let text = Self.retention(#"{"transition_days": 14}"#)
        #expect(
            try Fixture.load(text).configuration.retention == RetentionSettings(finalRowDays: 0, transitionDays: 14))
    }

    @Test(arguments: ["-1", "36501"])
    func aPeriodOutsideTheRangeNamesTheKeyAndTheRange(days: String) {
        #expect(
            Fixture.problems(Self.retention(#"{"final_row_days": \#(days), "transition_days": \#(days)}"#)) == [
                "retention.final_row_days: \(days) is out of range; expected an integer from 0 to 36500",
                "retention.transition_days: \(days) is out of range; expected an integer from 0 to 36500",
            ])
    }

    @Test func aPeriodIsWholeDays() {
        #expect(
            Fixture.problems(Self.retention(#"{"final_row_days": 1.5}"#)) == [
                "retention.final_row_days: expected an integer, found the number 1.5"
            ])
    }

    @Test func anUnknownRetentionKeyIsNamed() {
        let problems = Fixture.problems(Self.retention(#"{"final_rows_days": 30}"#))
        #expect(problems.count == 1)
        #expect(problems.first?.contains(#"unknown key "final_rows_days""#) == true)
        #expect(problems.first?.contains("final_row_days") == true)
    }
}
