import Foundation
import ImageGenerationTasks
import Testing
import WatcherEngine
import WatcherSQLite
import WatcherStore
import WeChatPay

@Suite("AnswerPolicy: what each outcome does to the row and the merchant")
struct AnswerPolicyTests {
    let kind = ImageGenerationTaskKind()
    let policy = AnswerPolicy(settings: PollingTuning(minimumInterval: 1, deadline: 86_400, notFoundGrace: 120))
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    var row = QueuedRow(
        rowID: 7,
        merchantID: "1900000001",
        resourceID: "task_0001",
        brandID: "120344",
        parameters: ["image_generation_type": "COMBINE_IMAGE"],
        state: "PROCESSING",
        createdAt: 1_800_000_000 - 10,
        pollCount: 2
    )

    func decide(_ outcome: APIOutcome, row: QueuedRow? = nil) -> PollDecision {
        let exchange = APIExchange(
            request: kind.request(for: row ?? self.row),
            baseURL: "https://api.mch.weixin.qq.com",
            outcome: outcome,
            requestID: "REQ-1"
        )
        return policy.decide(exchange, row: row ?? self.row, kind: kind, now: now, nextPoll: 1_800_000_005)
    }

    func answer(_ state: String, url: String? = nil, taskID: String = "task_0001") -> APIOutcome {
        let result = url.map { #","combine_image_result":{"image_url":"\#($0)"}"# } ?? ""
        let body =
            #"{"brand_id":"120344","task_id":"\#(taskID)","image_generation_type":"COMBINE_IMAGE","task_state":"\#(state)"\#(result)}"#
        return .verified(status: 200, body: Array(body.utf8))
    }

    @Test("a PROCESSING answer is a poll: no state change for a PROCESSING row, next poll from the scheduler")
    func processing() {
        let decision = decide(answer("PROCESSING"))
        #expect(decision.update.newState == "PROCESSING")
        #expect(!decision.update.changesState)
        #expect(decision.update.countsAsPoll)
        guard case .set(let next) = decision.update.nextPollAt else {
            Issue.record("next poll not set")
            return
        }
        #expect(next == 1_800_000_005)
        #expect(decision.signal == .none)
    }

    @Test("the scheduler is never allowed to poll sooner than the minimum interval")
    func minimumInterval() {
        let exchange = APIExchange(
            request: kind.request(for: row), baseURL: "", outcome: answer("PROCESSING"), requestID: nil)
        let decision = policy.decide(exchange, row: row, kind: kind, now: now, nextPoll: now.timeIntervalSince1970)
        guard case .set(let next) = decision.update.nextPollAt else {
            Issue.record("next poll not set")
            return
        }
        #expect(next == now.timeIntervalSince1970 + 1)
    }

    @Test("the scheduler is asked for a next poll only when the row stays unfinished, as the simulator asks it")
    func schedulerAskedOnlyForUnfinishedRows() {
        var asked = 0
        func ask(_ outcome: APIOutcome) -> PollDecision {
            let exchange = APIExchange(request: kind.request(for: row), baseURL: "", outcome: outcome, requestID: nil)
            return policy.decide(
                exchange, row: row, kind: kind, now: now,
                nextPoll: {
                    asked += 1
                    return 1_800_000_005
                }())
        }
        _ = ask(answer("SUCCESS", url: "https://wxpaylogo.qpic.cn/x.jpg"))
        _ = ask(answer("FAIL"))
        #expect(asked == 0)
        _ = ask(answer("PROCESSING"))
        #expect(asked == 1)
    }

    @Test("SUCCESS ends the watch with the URL and the completion age")
    func success() {
        let decision = decide(answer("SUCCESS", url: "https://wxpaylogo.qpic.cn/x.jpg"))
        #expect(decision.update.newState == "SUCCESS")
        #expect(decision.update.isTerminal)
        #expect(decision.update.results["image_url"] == .text("https://wxpaylogo.qpic.cn/x.jpg"))
        #expect(decision.completedAge == 10)
    }

    @Test("an answer about another task is not believed: error and retry bookkeeping only")
    func anomaly() {
        let decision = decide(answer("SUCCESS", url: "https://x/y.jpg", taskID: "task_9999"))
        #expect(decision.update.newState == nil)
        #expect(decision.update.failureCount == 1)
        guard case .set(let error) = decision.update.error else {
            Issue.record("error not set")
            return
        }
        #expect(error.contains("task_9999") && error.contains("REQ-1"))
        #expect(decision.event?.name == "answer.anomaly")
        #expect(decision.isAnomaly, "counted with the lane's failures")
        #expect(!decide(answer("PROCESSING")).isAnomaly)
    }

    @Test("an answer that failed verification never changes the state and counts towards the merchant alarm")
    func unverified() {
        let decision = decide(.unverified(.probeSignature, status: 200))
        #expect(decision.update.newState == nil)
        #expect(decision.signal == .verificationFailed(.probeSignature))
        #expect(decision.event?.fields.contains { $0.key == "request_id" } == true)
    }

    @Test("429 backs the limiter off without counting against the row")
    func throttled() {
        let decision = decide(
            .errorAnswer(status: 429, error: APIErrorBody(code: "FREQUENCY_LIMITED", message: "x"), excerpt: ""))
        #expect(decision.signal == .throttled)
        #expect(decision.update.failureCount == 0)
        #expect(decision.update.newState == nil)
    }

    @Test("401 pauses the merchant; the row is not failed")
    func unauthorized() {
        let decision = decide(
            .errorAnswer(status: 401, error: APIErrorBody(code: "SIGN_ERROR", message: "签名错误"), excerpt: ""))
        guard case .signatureRejected(let reason) = decision.signal else {
            Issue.record("merchant not paused")
            return
        }
        #expect(reason.contains("SIGN_ERROR"))
        #expect(decision.update.newState == nil)
        #expect(decision.update.failureCount == 0)
    }

    @Test(
        "400 PARAM_ERROR / INVALID_REQUEST and 403 NO_AUTH reject the row with the code and message",
        arguments: [(400, "PARAM_ERROR"), (400, "INVALID_REQUEST"), (403, "NO_AUTH")]
    )
    func permanentErrors(status: Int, code: String) {
        let decision = decide(
            .errorAnswer(status: status, error: APIErrorBody(code: code, message: "品牌无效"), excerpt: ""))
        #expect(decision.update.newState == "REJECTED")
        #expect(decision.update.isTerminal)
        guard case .set(let error) = decision.update.error else {
            Issue.record("error not set")
            return
        }
        #expect(error.contains(code) && error.contains("品牌无效") && error.contains("REQ-1"))
    }

    @Test("404 is retried during the grace period, then rejects the row")
    func notFound() {
        let first = decide(
            .errorAnswer(status: 404, error: APIErrorBody(code: "RESOURCE_NOT_EXISTS", message: ""), excerpt: ""))
        #expect(first.update.newState == nil)
        guard case .set(let since) = first.update.notFoundSince else {
            Issue.record("grace not started")
            return
        }
        #expect(since == now.timeIntervalSince1970)
        var waited = row
        waited.notFoundSince = now.timeIntervalSince1970 - 121
        let later = decide(
            .errorAnswer(status: 404, error: APIErrorBody(code: "RESOURCE_NOT_EXISTS", message: ""), excerpt: ""),
            row: waited)
        #expect(later.update.newState == "REJECTED")
    }

    @Test("a failing row is not asked again sooner than the minimum interval either, whatever the failure")
    func retriesKeepTheMinimumInterval() {
        let slow = AnswerPolicy(settings: PollingTuning(minimumInterval: 5, deadline: 86_400, notFoundGrace: 120))
        for outcome in [
            APIOutcome.errorAnswer(status: 500, error: APIErrorBody(code: "SYSTEM_ERROR", message: ""), excerpt: ""),
            .errorAnswer(status: 404, error: APIErrorBody(code: "RESOURCE_NOT_EXISTS", message: ""), excerpt: ""),
            .errorAnswer(status: 429, error: APIErrorBody(code: "FREQUENCY_LIMITED", message: ""), excerpt: ""),
            .unverified(.missingHeader("Wechatpay-Signature"), status: 200),
            .failed(.connectionLost("reset", responseStarted: false)),
        ] {
            let exchange = APIExchange(
                request: kind.request(for: row), baseURL: "https://api.mch.weixin.qq.com", outcome: outcome,
                requestID: nil)
            let decision = slow.decide(exchange, row: row, kind: kind, now: now, nextPoll: 1_800_000_005)
            guard case .set(let next) = decision.update.nextPollAt else {
                Issue.record("not retried: \(outcome)")
                continue
            }
            #expect(next >= now.timeIntervalSince1970 + 5, "\(outcome)")
        }
    }

    @Test("a 404 that is not WeChat Pay's unknown-resource answer (a gateway's page, another code) never rejects")
    func foreignNotFound() {
        var waited = row
        waited.notFoundSince = now.timeIntervalSince1970 - 3_600
        for answer in [
            APIOutcome.errorAnswer(status: 404, error: nil, excerpt: "<html>blocked by the gateway</html>"),
            .errorAnswer(status: 404, error: APIErrorBody(code: "SYSTEM_ERROR", message: "系统错误"), excerpt: ""),
        ] {
            let decision = decide(answer, row: waited)
            #expect(decision.update.newState == nil && !decision.update.isTerminal)
            #expect(decision.event?.name == "request.unexpected_status")
            guard case .set(let next) = decision.update.nextPollAt else {
                Issue.record("not retried")
                continue
            }
            #expect(next > now.timeIntervalSince1970)
        }
        let notFound = decide(
            .errorAnswer(status: 404, error: APIErrorBody(code: "NOT_FOUND", message: "不存在"), excerpt: ""), row: waited)
        #expect(notFound.update.newState == "REJECTED", "NOT_FOUND is WeChat Pay's answer too")
    }

    @Test("a 404 whose code only contains NOT_EXIST or NOT_FOUND (MCH_NOT_EXISTS is the merchant's) never rejects")
    func notFoundCodesMatchWhole() {
        var waited = row
        waited.notFoundSince = now.timeIntervalSince1970 - 3_600
        for code in ["MCH_NOT_EXISTS", "BRAND_NOT_EXISTS", "RESOURCE_NOT_EXISTS_YET", "APPID_NOT_FOUND"] {
            let decision = decide(
                .errorAnswer(status: 404, error: APIErrorBody(code: code, message: "商户号不存在"), excerpt: ""),
                row: waited)
            #expect(decision.update.newState == nil && !decision.update.isTerminal, "\(code)")
            #expect(decision.event?.name == "request.unexpected_status", "\(code)")
        }
    }

    @Test("5xx and transport failures retry with growing back-off; an unparsable body is kept raw")
    func transient() {
        let server = decide(.errorAnswer(status: 502, error: nil, excerpt: "<html>bad gateway</html>"))
        #expect(server.update.newState == nil)
        guard case .set(let error) = server.update.error else {
            Issue.record("error not set")
            return
        }
        #expect(error.contains("<html>bad gateway</html>"))
        var failing = row
        failing.failureCount = 4
        let again = decide(.failed(.connectFailed("Connection refused")), row: failing)
        #expect(again.update.failureCount == 5)
        guard case .set(let next) = again.update.nextPollAt else {
            Issue.record("no retry time")
            return
        }
        #expect(next - now.timeIntervalSince1970 >= 16 * 0.8 && next - now.timeIntervalSince1970 <= 16 * 1.2)
    }

    @Test("a 400 with an unknown code is retried, not rejected")
    func unknownClientError() {
        let decision = decide(
            .errorAnswer(status: 400, error: APIErrorBody(code: "SOMETHING_NEW", message: "?"), excerpt: ""))
        #expect(decision.update.newState == nil)
        #expect(decision.event?.name == "request.unexpected_status")
    }

    @Test("a failure past the deadline expires the row")
    func deadline() {
        var old = row
        old.createdAt = now.timeIntervalSince1970 - 86_401
        let decision = decide(.failed(.timedOut(responseStarted: false)), row: old)
        #expect(decision.update.newState == "EXPIRED")
        #expect(decision.update.isTerminal)
    }
}

@Suite("RetryBackoff")
struct RetryBackoffTests {
    @Test("doubles from one second up to the cap, each within ±20%")
    func growth() {
        for failures in 1...10 {
            let delay = RetryBackoff.delay(failures: failures, seed: 3, cap: 60)
            let base = min(60, Double(1 << (failures - 1)))
            #expect(delay >= base * 0.8 && delay <= base * 1.2)
        }
    }
}
