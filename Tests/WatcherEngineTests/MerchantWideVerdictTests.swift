import Foundation
import ImageGenerationTasks
import Testing
import WatcherEngine
import WatcherStore
import WeChatPay

@Suite("AnswerPolicy: what the rejection judge's verdict does to a rejecting code")
struct MerchantWideVerdictTests {
    let kind = ImageGenerationTaskKind()
    let policy = AnswerPolicy(settings: PollingTuning(minimumInterval: 1, deadline: 86_400, notFoundGrace: 120))
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let row = QueuedRow(
        rowID: 7, merchantID: "1900000001", resourceID: "task_0001", brandID: "120344",
        parameters: ["image_generation_type": "COMBINE_IMAGE"], state: "PROCESSING", createdAt: 1_800_000_000 - 10,
        pollCount: 2)

    func decide(_ verdict: RejectionJudge.Verdict?) -> PollDecision {
        let exchange = APIExchange(
            request: kind.request(for: row), baseURL: "https://api.mch.weixin.qq.com",
            outcome: .errorAnswer(
                status: 403, error: APIErrorBody(code: "NO_AUTH", message: "商户号未开通该接口权限"), excerpt: ""),
            requestID: "REQ-1")
        return policy.decide(exchange, row: row, kind: kind, now: now, nextPoll: 0, rejection: verdict)
    }

    @Test("merchant-wide: the row keeps its state and error, and the lane is told the code, message and Request-ID")
    func merchantWide() {
        let decision = decide(.merchantWide)
        #expect(decision.update.newState == nil)
        #expect(!decision.update.isTerminal)
        #expect(decision.update.failureCount == 0)
        #expect(decision.signal == .merchantWideError(code: "NO_AUTH", message: "商户号未开通该接口权限", requestID: "REQ-1"))
    }

    @Test("not decided yet: the row is asked again after the judge's delay, with the error recorded")
    func retry() {
        let decision = decide(.retry(afterSeconds: 5))
        #expect(!decision.update.isTerminal)
        guard case .set(let next) = decision.update.nextPollAt else {
            Issue.record("next poll not set")
            return
        }
        #expect(next == 1_800_000_005)
        #expect(decision.signal == .none)
    }

    @Test("the row's own problem, or no judge at all: REJECTED with code, message and Request-ID")
    func reject() {
        for verdict in [RejectionJudge.Verdict.reject, nil] {
            let decision = decide(verdict)
            #expect(decision.update.newState == "REJECTED")
            guard case .set(let error) = decision.update.error else {
                Issue.record("error not set")
                return
            }
            #expect(error == "HTTP 403 NO_AUTH: 商户号未开通该接口权限 (Request-ID REQ-1)")
        }
    }
}
