import Foundation
import ImageGenerationTasks
import Testing
import WatcherEngine
import WatcherStore
import WeChatPay

@Suite("AnswerPolicy: the error a row keeps names WeChat Pay's Request-ID exactly once")
struct AnswerPolicyErrorTextTests {
    let kind = ImageGenerationTaskKind()
    let policy = AnswerPolicy(settings: PollingTuning(minimumInterval: 1, deadline: 86_400, notFoundGrace: 120))
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let row = QueuedRow(
        rowID: 7, merchantID: "1900000001", resourceID: "task_0001", brandID: "120344",
        parameters: ["image_generation_type": "COMBINE_IMAGE"], state: "PROCESSING",
        createdAt: 1_800_000_000 - 10, pollCount: 2)

    func decide(
        _ outcome: APIOutcome, row: QueuedRow? = nil, rejection: RejectionJudge.Verdict? = nil
    ) -> PollDecision {
        let row = row ?? self.row
        let exchange = APIExchange(
            request: kind.request(for: row), baseURL: "https://api.mch.weixin.qq.com", outcome: outcome,
            requestID: "08F0B8D5B00610")
        return policy.decide(exchange, row: row, kind: kind, now: now, nextPoll: 1_800_000_005, rejection: rejection)
    }

    func mentions(_ text: String) -> Int {
        text.components(separatedBy: "08F0B8D5B00610").count - 1
    }

    func errorText(of decision: PollDecision) -> String? {
        if case .set(let error) = decision.update.error { return error }
        return nil
    }

    static let errorOutcomes: [APIOutcome] = [
        .errorAnswer(status: 500, error: APIErrorBody(code: "SYSTEM_ERROR", message: "系统错误"), excerpt: ""),
        .errorAnswer(status: 502, error: nil, excerpt: "<html>bad gateway</html>"),
        .errorAnswer(status: 400, error: APIErrorBody(code: "SOMETHING_NEW", message: "?"), excerpt: ""),
        .errorAnswer(status: 404, error: APIErrorBody(code: "RESOURCE_NOT_EXISTS", message: "不存在"), excerpt: ""),
        .errorAnswer(status: 403, error: APIErrorBody(code: "NO_AUTH", message: "无权限"), excerpt: ""),
        .errorAnswer(status: 400, error: APIErrorBody(code: "PARAM_ERROR", message: "参数错误"), excerpt: ""),
        .unverified(.probeSignature, status: 200),
    ]

    @Test("every error answer and failed verification", arguments: errorOutcomes)
    func errorAnswers(outcome: APIOutcome) throws {
        let error = try #require(errorText(of: decide(outcome)))
        #expect(mentions(error) == 1)
    }

    @Test("a rejecting code asked again before the row is rejected")
    func rejectingCodeRetried() throws {
        let decision = decide(
            .errorAnswer(status: 403, error: APIErrorBody(code: "NO_AUTH", message: "无权限"), excerpt: ""),
            rejection: .retry(afterSeconds: 5))
        let error = try #require(errorText(of: decision))
        #expect(mentions(error) == 1)
    }

    @Test("a 404 past the grace period")
    func notFoundPastGrace() throws {
        var waited = row
        waited.notFoundSince = now.timeIntervalSince1970 - 121
        let decision = decide(
            .errorAnswer(status: 404, error: APIErrorBody(code: "RESOURCE_NOT_EXISTS", message: ""), excerpt: ""),
            row: waited)
        #expect(decision.update.newState == LocalState.rejected)
        let error = try #require(errorText(of: decision))
        #expect(mentions(error) == 1)
    }

    @Test("the reason a 401 pauses the merchant with")
    func signatureRejected() throws {
        let decision = decide(
            .errorAnswer(status: 401, error: APIErrorBody(code: "SIGN_ERROR", message: "签名错误"), excerpt: ""))
        guard case .signatureRejected(let reason) = decision.signal else {
            Issue.record("merchant not paused")
            return
        }
        #expect(mentions(reason) == 1)
    }
}
