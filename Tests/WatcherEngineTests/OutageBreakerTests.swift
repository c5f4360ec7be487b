import Testing
import WatcherSync
import WatcherTestSupport
import WeChatPay

@testable import WatcherEngine

@Suite("Outage breaker: when the API answers nothing, one probe at a time")
struct OutageBreakerTests {
    let breaker = OutageBreaker(merchantID: "1900000001")

    /// `count` failed polls, alternating between two rows, the last answered at `now`, each sent 0.1 s before.
    func fail(_ count: Int, from start: Double = 10) -> [OutageBreaker.Event] {
        (0..<count).compactMap { index in
            let now = start + Double(index) * 0.05
            return breaker.unavailable(
                rowID: Int64(index % 2), now: now, sentAt: now - 0.01, reason: "HTTP 500 SYSTEM_ERROR")
        }
    }

    @Test("ten polls in a row without an answer take the API to be down; the lane waits for the first probe")
    func opensAfterTheThreshold() {
        #expect(fail(OutageBreaker.threshold - 1).isEmpty)
        #expect(breaker.admission(now: 11) == nil, "nine failures are not an outage")
        let event = breaker.unavailable(rowID: 5, now: 11, sentAt: 10.99, reason: "cannot connect: refused")
        #expect(event == .opened(failures: 10, probeInSeconds: 1, reason: "cannot connect: refused"))
        #expect(breaker.admission(now: 11.5) == 12)
        #expect(breaker.claim(now: 12), "the probe")
        #expect(!breaker.claim(now: 12), "one at a time")
    }

    @Test("one row failing again and again is that row's problem, not an outage")
    func oneRowIsNotAnOutage() {
        for index in 0..<50 {
            let now = 10 + Double(index)
            #expect(breaker.unavailable(rowID: 7, now: now, sentAt: now - 0.1, reason: "HTTP 503") == nil)
        }
        #expect(breaker.admission(now: 100) == nil)
    }

    @Test("any answer but a 5xx ends the streak")
    func anAnswerEndsTheStreak() {
        _ = fail(OutageBreaker.threshold - 1)
        #expect(breaker.answered(now: 11) == nil, "no outage to end")
        #expect(fail(OutageBreaker.threshold - 1, from: 12).isEmpty, "the count starts again")
        #expect(breaker.admission(now: 13) == nil)
    }

    @Test("failed probes double the pause up to ten seconds; failures of polls sent before the last one are ignored")
    func probesBackOff() {
        _ = fail(OutageBreaker.threshold)
        var now = 10.45 + 1
        var pauses: [Double] = []
        for _ in 0..<6 {
            #expect(breaker.admission(now: now) == nil)
            #expect(breaker.claim(now: now))
            #expect(breaker.unavailable(rowID: 1, now: now + 0.01, sentAt: now, reason: "timed out") == nil)
            let until = breaker.admission(now: now + 0.01) ?? now
            pauses.append(((until - now - 0.01) * 100).rounded() / 100)
            now = until
        }
        #expect(pauses == [2, 4, 8, 10, 10, 10])
        #expect(
            breaker.unavailable(rowID: 0, now: now + 0.5, sentAt: now - 20, reason: "timed out") == nil
                && breaker.admission(now: now) == nil,
            "a poll sent long before does not extend the pause")
    }

    @Test("the first answer after an outage ends it and says how long it lasted")
    func closesOnAnAnswer() {
        _ = fail(OutageBreaker.threshold)
        #expect(breaker.claim(now: 11.45))
        guard case .closed(let seconds)? = breaker.answered(now: 41.45) else {
            Issue.record("the outage did not end")
            return
        }
        #expect(abs(seconds - 31) < 1e-9)
        #expect(breaker.admission(now: 41.5) == nil)
        #expect(breaker.answered(now: 42) == nil, "only once")
    }

    @Test("no answer at all and 5xx count; 4xx, 429, unverified answers and broken bodies are answers")
    func whatCountsAsUnavailable() {
        let unavailable: [APIOutcome] = [
            .failed(.connectFailed("refused")), .failed(.timedOut(responseStarted: false)),
            .failed(.timedOut(responseStarted: true)), .failed(.tls(reason: "certificate has expired")),
            .failed(.proxy(reason: "407")), .failed(.connectionLost("reset", responseStarted: false)),
            .errorAnswer(status: 500, error: nil, excerpt: ""), .errorAnswer(status: 503, error: nil, excerpt: ""),
        ]
        let answers: [APIOutcome] = [
            .verified(status: 200, body: []), .errorAnswer(status: 404, error: nil, excerpt: ""),
            .errorAnswer(status: 429, error: nil, excerpt: ""), .errorAnswer(status: 401, error: nil, excerpt: ""),
            .unverified(.missingHeader("Wechatpay-Signature"), status: 200), .failed(.bodyTooLarge(limit: 1)),
            .failed(.malformedResponse("bad status line")), .failed(.cancelled),
        ]
        #expect(unavailable.allSatisfy(OutageBreaker.isUnavailable))
        #expect(!answers.contains(where: OutageBreaker.isUnavailable))
    }
}

@Suite("Outage breaker in the engine")
struct OutageEngineTests {
    @Test("while every request fails the lane probes; when the API is back, every row is polled at once")
    func outageThenRecovery() async throws {
        let down = Locked(true)
        let harness = try EngineHarness(
            answer: { id in EngineHarness.body(id, "SUCCESS") },
            outage: { _ in down.withLock { $0 } ? .success(SignedAnswers.error(500, code: "SYSTEM_ERROR")) : nil }
        )
        let ids = (0..<60).map { "task_\($0)" }
        try harness.insert(ids)
        harness.start()
        // A minute of outage: without the breaker each of the 60 rows would retry 1, 2, 4 … 32 s apart, six times.
        await harness.advance(limit: 60) { false }
        let sentDuringOutage = harness.sentIDs.count
        #expect(sentDuringOutage <= OutageBreaker.threshold + 10, "then about one probe per 10 s: \(sentDuringOutage)")
        #expect(harness.logs.records(named: "lane.unavailable").count == 1)
        down.withLock { $0 = false }
        let recovered = harness.clock.monotonicNow()
        let drained = try await harness.advance(limit: 60) {
            try harness.rows().values.allSatisfy { $0.state == "SUCCESS" }
        }
        #expect(drained)
        // The next probe within 10 s, then 60 rows at 20 a second.
        #expect(harness.clock.monotonicNow() - recovered <= 10 + 3 + 1)
        #expect(harness.logs.records(named: "lane.available").count == 1)
        harness.engine.stop()
        #expect(await harness.advance { harness.result != nil })
    }
}
