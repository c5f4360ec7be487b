import Foundation
import ImageGenerationTasks
import Testing
import WatcherEngine
import WatcherStore
import WeChatPay

@Suite("Expiry: one rule and one message, whoever notices the deadline first")
struct ExpiryTests {
    let kind = ImageGenerationTaskKind()
    let policy = AnswerPolicy(settings: PollingTuning(minimumInterval: 1, deadline: 86_400, notFoundGrace: 120))
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    var old: QueuedRow {
        QueuedRow(
            rowID: 7, merchantID: "1900000001", resourceID: "task_0001", brandID: "120344",
            parameters: ["image_generation_type": "COMBINE_IMAGE"], state: "PROCESSING",
            createdAt: 1_800_000_000 - 86_401, pollCount: 2)
    }

    func decide(_ outcome: APIOutcome) -> PollDecision {
        let exchange = APIExchange(
            request: kind.request(for: old), baseURL: "https://api.mch.weixin.qq.com", outcome: outcome,
            requestID: "08F0B8D5B00610")
        return policy.decide(exchange, row: old, kind: kind, now: now, nextPoll: 1_800_000_005)
    }

    @Test("the message names the state and the deadline, in hours when it is whole hours")
    func message() {
        #expect(Expiry.message(state: "PROCESSING", deadline: 86_400) == "still PROCESSING after the deadline of 24 h")
        #expect(Expiry.message(state: "PENDING", deadline: 90) == "still PENDING after the deadline of 90 s")
        #expect(
            Expiry.message(state: "AUDITING", deadline: 3_600, lastError: "HTTP 500")
                == "still AUDITING after the deadline of 1 h; last error: HTTP 500")
    }

    @Test("due from the deadline on, counted from creation (or first sight without created_at)")
    func due() {
        var row = old
        row.createdAt = 1_000
        #expect(!Expiry.isDue(row, now: 1_099.9, deadline: 100))
        #expect(Expiry.isDue(row, now: 1_100, deadline: 100))
        row.createdAt = nil
        #expect(!Expiry.isDue(row, now: 1_000_000, deadline: 100), "never seen: not started")
        row.firstSeenAt = 1_000
        #expect(Expiry.isDue(row, now: 1_100, deadline: 100))
    }

    @Test("a failure past the deadline ends the row with the message and the last error, its Request-ID once")
    func failurePastDeadline() {
        let decision = decide(.errorAnswer(status: 502, error: nil, excerpt: "bad gateway"))
        let expected = Expiry.message(
            state: "PROCESSING", deadline: 86_400,
            lastError: "HTTP 502 bad gateway (Request-ID 08F0B8D5B00610)")
        #expect(decision.update.newState == LocalState.expired)
        guard case .set(let error) = decision.update.error else {
            Issue.record("error not set")
            return
        }
        #expect(error == expected)
        #expect(decision.update.transitionDetail == expected)
    }

    @Test(
        "a 429, 401 or merchant-wide code past the deadline expires the row with the message too",
        arguments: [429, 401]
    )
    func merchantFailuresPastDeadline(status: Int) {
        let decision = decide(
            .errorAnswer(status: status, error: APIErrorBody(code: "SOME_CODE", message: "x"), excerpt: ""))
        #expect(decision.update.newState == LocalState.expired)
        guard case .set(let error) = decision.update.error else {
            Issue.record("the expired row keeps its old error")
            return
        }
        #expect(error.hasPrefix("still PROCESSING after the deadline of 24 h; last error: HTTP \(status)"))
    }
}

@Suite("Expiry in the running engine")
struct EngineExpiryTests {
    @Test("a row created before the deadline ends EXPIRED, without a request, with the one message")
    func expiredWithoutRequest() async throws {
        let harness = try EngineHarness()
        try harness.insert(["task_old"], createdAt: harness.clock.wallNow().addingTimeInterval(-86_401))
        harness.start()
        let done = try await harness.advance { try harness.rows()["task_old"]?.state == LocalState.expired }
        harness.engine.stop()
        await harness.advance { harness.result != nil }
        #expect(done)
        #expect(harness.sentIDs.isEmpty)
        #expect(try harness.rows()["task_old"]?.error == Expiry.message(state: "PENDING", deadline: 86_400))
    }
}
