import ImageGenerationTasks
import Testing
import WatcherEngine
import WatcherStore

@Suite("Image-generation tasks: validation, request, answers")
struct ImageGenerationTaskKindTests {
    let kind = ImageGenerationTaskKind()

    func row(id: String = "image_generation_task_1", type: String = "COMBINE_IMAGE") -> QueuedRow {
        QueuedRow(
            rowID: 1, merchantID: "1900000001", resourceID: id, brandID: "120344",
            parameters: ["image_generation_type": type], state: "PENDING")
    }

    @Test("task ids of 6-40 characters of [0-9A-Za-z_-] and both types are valid")
    func valid() {
        #expect(kind.validate(row()) == nil)
        #expect(kind.validate(row(id: "abc-_9", type: "CUT_OUT")) == nil)
        #expect(kind.validate(row(id: String(repeating: "a", count: 40))) == nil)
    }

    @Test(
        "bad rows are named precisely",
        arguments: [
            ("abc12", "COMBINE_IMAGE", "has 5 characters"),
            (String(repeating: "a", count: 41), "COMBINE_IMAGE", "has 41 characters"),
            ("task id!", "COMBINE_IMAGE", "contains characters other than"),
            ("任务编号一二三", "COMBINE_IMAGE", "contains characters other than"),
            ("task_0001", "COMBINE", "is not COMBINE_IMAGE or CUT_OUT"),
            ("task_0001", "", "is not COMBINE_IMAGE or CUT_OUT"),
        ]
    )
    func invalid(id: String, type: String, expected: String) {
        let problem = kind.validate(row(id: id, type: type))
        #expect(problem?.contains(expected) == true, "\(String(describing: problem))")
    }

    @Test("a brand outside [0-9A-Za-z_-] or empty is refused by the shared check")
    func brand() {
        #expect(RowValidation.brandProblem("120344") == nil)
        #expect(RowValidation.brandProblem("") == "brand_id is empty")
        #expect(RowValidation.brandProblem("12 34")?.contains("characters") == true)
    }

    @Test("the request is the documented path with brand_id and image_generation_type")
    func request() {
        #expect(
            kind.request(for: row()).canonicalURL
                == "/v3/marketing/partner/product-coupon/image-generation-tasks/image_generation_task_1?brand_id=120344&image_generation_type=COMBINE_IMAGE"
        )
    }

    @Test("the document's example answer reads as PROCESSING")
    func documentExample() {
        let body = """
            { "brand_id" : "120344", "task_id" : "image_generation_task_1", "image_generation_type" : "COMBINE_IMAGE",
              "task_state" : "PROCESSING", "combine_image_result" : { "image_url" : "https://wxpaylogo.qpic.cn/wxpaylogo/example.jpg" },
              "cut_out_result" : { "image_url" : "https://wxpaylogo.qpic.cn/wxpaylogo/example.jpg" } }
            """
        #expect(kind.interpret(Array(body.utf8), for: row()) == .state("PROCESSING", results: [:], detail: nil))
    }

    @Test("SUCCESS takes the URL from the result of the task's own type")
    func successURL() {
        let body =
            #"{"brand_id":"120344","task_id":"image_generation_task_1","image_generation_type":"CUT_OUT","task_state":"SUCCESS","cut_out_result":{"image_url":"https://a.example/cut.png"},"combine_image_result":{"image_url":"https://a.example/combine.png"}}"#
        #expect(
            kind.interpret(Array(body.utf8), for: row(type: "CUT_OUT"))
                == .state(
                    "SUCCESS", results: ["image_url": .text("https://a.example/cut.png")],
                    detail: "https://a.example/cut.png"))
    }

    @Test(
        "answers that verify but cannot be right are anomalies",
        arguments: [
            ("not json", "invalid JSON"),
            (#"{"brand_id":"120344","task_id":"image_generation_task_1"}"#, "task_state is missing"),
            (#"{"brand_id":"120344","task_id":"image_generation_task_1","task_state":"DONE"}"#, "unknown task_state"),
            (
                #"{"brand_id":"120344","task_id":"other_task","task_state":"FAIL"}"#,
                #"answer is about task_id "other_task", not image_generation_task_1"#
            ),
            (#"{"brand_id":"120344","task_state":"FAIL"}"#, "task_id is missing (expected image_generation_task_1)"),
            (#"{"brand_id":"999","task_id":"image_generation_task_1","task_state":"FAIL"}"#, #""999", not 120344"#),
            (
                #"{"brand_id":"120344","task_id":"image_generation_task_1","image_generation_type":"CUT_OUT","task_state":"FAIL"}"#,
                "not COMBINE_IMAGE"
            ),
            (
                #"{"brand_id":"120344","task_id":"image_generation_task_1","task_state":"SUCCESS"}"#,
                "SUCCESS without combine_image_result.image_url"
            ),
            (
                #"{"brand_id":"120344","task_id":"image_generation_task_1","task_state":"SUCCESS","combine_image_result":{"image_url":"http://a/b.jpg"}}"#,
                "is not an https:// URL"
            ),
            (
                #"{"brand_id":"120344","task_id":"image_generation_task_1","task_state":"SUCCESS","combine_image_result":{"image_url":""}}"#,
                "is empty"
            ),
            (#"{"brand_id":"120344","task_id":"image_generation_task_1","task_state":5}"#, "task_state"),
        ]
    )
    func anomalies(body: String, expected: String) {
        guard case .anomaly(let reason) = kind.interpret(Array(body.utf8), for: row()) else {
            Issue.record("accepted: \(body)")
            return
        }
        #expect(reason.contains(expected), "\(reason)")
    }

    @Test("an absurdly long URL is refused")
    func longURL() {
        let url = "https://a.example/" + String(repeating: "x", count: 3_000)
        let body =
            #"{"brand_id":"120344","task_id":"image_generation_task_1","task_state":"SUCCESS","combine_image_result":{"image_url":"\#(url)"}}"#
        guard case .anomaly(let reason) = kind.interpret(Array(body.utf8), for: row()) else {
            Issue.record("accepted")
            return
        }
        #expect(reason.contains("limit 2048"))
    }
}
