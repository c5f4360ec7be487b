import Foundation
import WatcherEngine
import WatcherSQLite
import WatcherStore
import WeChatPay

/// Image-generation tasks (查询图片生成任务执行结果): `PENDING` → `PROCESSING` → `SUCCESS` | `FAIL`, with the
/// generated image's URL written into `image_url`.
package struct ImageGenerationTaskKind: ResourceKind {
    /// The two documented generation types.
    package static let generationTypes: Set<String> = ["COMBINE_IMAGE", "CUT_OUT"]
    /// The states WeChat Pay answers with.
    package static let remoteStates: Set<String> = ["PROCESSING", "SUCCESS", "FAIL"]

    /// Creates the kind.
    package init() {}

    /// The `image_generation_tasks` table and its migrations.
    package var schema: KindSchema { Self.schema }

    /// A new task as a producer inserts it.
    package static func newRow(merchantID: String, taskID: String, brandID: String, generationType: String)
        -> QueuedRow
    {
        QueuedRow(
            rowID: 0, merchantID: merchantID, resourceID: taskID, brandID: brandID,
            parameters: ["image_generation_type": generationType], state: LocalState.pending)
    }

    /// `SUCCESS` and `FAIL` end the watch.
    package var finalStates: Set<String> { ["SUCCESS", "FAIL"] }

    /// Checks the task id (6–40 characters of `[0-9A-Za-z_-]`) and the generation type.
    package func validate(_ row: QueuedRow) -> String? {
        if let problem = RowValidation.identifierProblem(row.resourceID, column: "task_id", minimum: 6, maximum: 40) {
            return problem
        }
        let type = row.parameters["image_generation_type"] ?? ""
        guard Self.generationTypes.contains(type) else {
            return "image_generation_type \(RowValidation.quoted(type)) is not COMBINE_IMAGE or CUT_OUT"
        }
        return nil
    }

    /// `GET …/image-generation-tasks/{task_id}?brand_id=…&image_generation_type=…`.
    package func request(for row: QueuedRow) -> APIRequest {
        APIRequest(
            pathSegments: ["v3", "marketing", "partner", "product-coupon", "image-generation-tasks", row.resourceID],
            query: [
                ("brand_id", row.brandID),
                ("image_generation_type", row.parameters["image_generation_type"] ?? ""),
            ]
        )
    }

    /// Reads a verified answer; anything that cannot be right is an anomaly, never a state.
    package func interpret(_ body: [UInt8], for row: QueuedRow) -> Interpretation {
        let answer: ImageGenerationTaskAnswer
        do {
            answer = try JSONDecoder().decode(ImageGenerationTaskAnswer.self, from: Data(body))
        } catch {
            return .anomaly(AnswerChecks.describe(error))
        }
        let type = row.parameters["image_generation_type"] ?? ""
        if answer.taskID != row.resourceID {
            return .anomaly(Self.mismatch("task_id", answered: answer.taskID, expected: row.resourceID))
        }
        if answer.brandID != row.brandID {
            return .anomaly(Self.mismatch("brand_id", answered: answer.brandID, expected: row.brandID))
        }
        if let answered = answer.imageGenerationType, answered != type {
            return .anomaly("answer has image_generation_type \(answered), not \(type)")
        }
        guard let state = answer.taskState else { return .anomaly("task_state is missing") }
        guard Self.remoteStates.contains(state) else { return .anomaly("unknown task_state \(state.debugDescription)") }
        guard state == "SUCCESS" else { return .state(state, results: [:], detail: nil) }
        let result = type == "CUT_OUT" ? answer.cutOutResult : answer.combineImageResult
        let field = type == "CUT_OUT" ? "cut_out_result.image_url" : "combine_image_result.image_url"
        guard let url = result?.imageURL else { return .anomaly("SUCCESS without \(field)") }
        if let problem = AnswerChecks.httpsURLProblem(url, field: field) { return .anomaly(problem) }
        return .state(state, results: ["image_url": .text(url)], detail: url)
    }

    /// Tasks of one generation type take similar times.
    /// The problem with an answer about another resource, in the words of the log.
    static func mismatch(_ field: String, answered: String?, expected: String) -> String {
        guard let answered else { return "\(field) is missing (expected \(expected))" }
        return "answer is about \(field) \(RowValidation.quoted(answered)), not \(expected)"
    }

    package func cohort(of row: QueuedRow) -> String {
        row.parameters["image_generation_type"] ?? ""
    }
}
