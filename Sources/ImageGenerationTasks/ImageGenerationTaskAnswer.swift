/// The answer of 查询图片生成任务执行结果 (`GET …/image-generation-tasks/{task_id}`), as documented.
package struct ImageGenerationTaskAnswer: Decodable, Sendable, Equatable {
    /// The brand the task belongs to.
    package var brandID: String?
    /// The task id (the service provider's request number).
    package var taskID: String?
    /// `COMBINE_IMAGE` or `CUT_OUT`.
    package var imageGenerationType: String?
    /// `PROCESSING`, `SUCCESS` or `FAIL`.
    package var taskState: String?
    /// The result when the type is `COMBINE_IMAGE` and the task succeeded.
    package var combineImageResult: ImageResult?
    /// The result when the type is `CUT_OUT` and the task succeeded.
    package var cutOutResult: ImageResult?

    /// A generated image.
    package struct ImageResult: Decodable, Sendable, Equatable {
        /// The image URL.
        package var imageURL: String?

        enum CodingKeys: String, CodingKey {
            case imageURL = "image_url"
        }
    }

    enum CodingKeys: String, CodingKey {
        case brandID = "brand_id"
        case taskID = "task_id"
        case imageGenerationType = "image_generation_type"
        case taskState = "task_state"
        case combineImageResult = "combine_image_result"
        case cutOutResult = "cut_out_result"
    }
}
