import Testing
import WatcherEngine

@Suite("RejectionJudge: a row's problem or the merchant's")
struct RejectionJudgeTests {
    @Test("the same code for rows of two brands within a minute is merchant-wide")
    func twoBrands() {
        var judge = RejectionJudge()
        #expect(
            judge.rejected(code: "NO_AUTH", brand: "A", rowID: 1, now: 0, lanePaused: false) == .retry(afterSeconds: 5))
        #expect(judge.rejected(code: "NO_AUTH", brand: "B", rowID: 2, now: 10, lanePaused: false) == .merchantWide)
    }

    @Test("two brands more than a minute apart are not")
    func outsideTheWindow() {
        var judge = RejectionJudge()
        _ = judge.rejected(code: "NO_AUTH", brand: "A", rowID: 1, now: 0, lanePaused: false)
        #expect(
            judge.rejected(code: "NO_AUTH", brand: "B", rowID: 2, now: 61, lanePaused: false) == .retry(afterSeconds: 5)
        )
    }

    @Test("different codes do not add up")
    func differentCodes() {
        var judge = RejectionJudge()
        _ = judge.rejected(code: "NO_AUTH", brand: "A", rowID: 1, now: 0, lanePaused: false)
        #expect(
            judge.rejected(code: "PARAM_ERROR", brand: "B", rowID: 2, now: 1, lanePaused: false)
                == .retry(afterSeconds: 5))
    }

    @Test("five rows of one brand are merchant-wide while no other brand succeeds")
    func fiveRows() {
        var judge = RejectionJudge()
        for row in 1...4 {
            #expect(
                judge.rejected(code: "NO_AUTH", brand: "A", rowID: Int64(row), now: Double(row), lanePaused: false)
                    == .retry(afterSeconds: 5))
        }
        #expect(judge.rejected(code: "NO_AUTH", brand: "A", rowID: 5, now: 5, lanePaused: false) == .merchantWide)
    }

    @Test("one brand refused while other brands succeed is that brand's authorisation: its rows are rejected")
    func brandOnly() {
        var judge = RejectionJudge()
        judge.succeeded(brand: "B", now: 0)
        for row in 1...8 {
            let first = judge.rejected(code: "NO_AUTH", brand: "A", rowID: Int64(row), now: 1, lanePaused: false)
            #expect(first == .retry(afterSeconds: 5))
        }
        for row in 1...8 {
            judge.succeeded(brand: "B", now: 6)
            #expect(
                judge.rejected(code: "NO_AUTH", brand: "A", rowID: Int64(row), now: 6, lanePaused: false) == .reject)
        }
    }

    @Test("INVALID_REQUEST for one row is retried with back-off three times, then rejected")
    func invalidRequestBackOff() {
        var judge = RejectionJudge()
        var delays: [Double] = []
        for attempt in 1...3 {
            guard
                case .retry(let seconds) = judge.rejected(
                    code: "INVALID_REQUEST", brand: "A", rowID: 7, now: Double(attempt * 10), lanePaused: false)
            else {
                Issue.record("attempt \(attempt) was not retried")
                return
            }
            delays.append(seconds)
        }
        #expect(delays == delays.sorted(), "the back-off grows: \(delays)")
        #expect(judge.rejected(code: "INVALID_REQUEST", brand: "A", rowID: 7, now: 40, lanePaused: false) == .reject)
    }

    @Test("while the lane is paused every NO_AUTH is more of the same; a resume keeps each row's attempts")
    func pausedAndResumed() {
        var judge = RejectionJudge()
        _ = judge.rejected(code: "NO_AUTH", brand: "A", rowID: 1, now: 0, lanePaused: false)
        #expect(judge.rejected(code: "NO_AUTH", brand: "A", rowID: 1, now: 200, lanePaused: true) == .merchantWide)
        judge.succeeded(brand: "B", now: 290)
        judge.resumed()
        #expect(judge.rejected(code: "NO_AUTH", brand: "A", rowID: 1, now: 300, lanePaused: false) == .reject)
        #expect(
            judge.rejected(code: "NO_AUTH", brand: "A", rowID: 2, now: 300, lanePaused: false)
                == .retry(afterSeconds: 5))
    }

    @Test("PARAM_ERROR is always the row's own: not merchant-wide for two brands, five rows, or a paused lane")
    func paramErrorIsPerRow() {
        var judge = RejectionJudge()
        for row in 1...6 {
            #expect(
                judge.rejected(
                    code: "PARAM_ERROR", brand: row % 2 == 0 ? "A" : "B", rowID: Int64(row), now: Double(row),
                    lanePaused: row == 6) == .retry(afterSeconds: 5))
        }
        #expect(judge.rejected(code: "PARAM_ERROR", brand: "A", rowID: 1, now: 7, lanePaused: false) == .reject)
    }

    @Test(
        "a believed answer between the sightings keeps NO_AUTH per row; two brands refused after the last answer are the merchant's"
    )
    func answersBetweenSightingsKeepItPerRow() {
        var judge = RejectionJudge()
        for row in 1...6 {
            judge.succeeded(brand: "A", now: Double(row))
            #expect(
                judge.rejected(
                    code: "NO_AUTH", brand: row % 2 == 0 ? "A" : "B", rowID: Int64(row), now: Double(row) + 0.5,
                    lanePaused: false) == .retry(afterSeconds: 5))
        }
        // The permission revoked at 10: every answer after the last believed one is a refusal.
        judge.succeeded(brand: "A", now: 10)
        #expect(
            judge.rejected(code: "NO_AUTH", brand: "A", rowID: 10, now: 11, lanePaused: false)
                == .retry(afterSeconds: 5))
        #expect(judge.rejected(code: "NO_AUTH", brand: "B", rowID: 11, now: 12, lanePaused: false) == .merchantWide)
    }
}
