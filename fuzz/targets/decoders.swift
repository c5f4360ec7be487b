// libFuzzer target: both resource kinds' readers of a verified answer body, and the error body parser.
import ImageGenerationTasks
import ProductCoupons
import WatcherStore
import WeChatPay

private let task = QueuedRow(
    rowID: 1, merchantID: "1900000001", resourceID: "task_000001", brandID: "120344",
    parameters: ["image_generation_type": "COMBINE_IMAGE"], state: "PROCESSING")
private let coupon = QueuedRow(
    rowID: 2, merchantID: "1900000001", resourceID: "1000000013", brandID: "120344", state: "AUDITING")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    _ = ImageGenerationTaskKind().interpret(body, for: task)
    _ = ProductCouponKind().interpret(body, for: coupon)
    _ = APIErrorBody.parse(body)
    _ = bodyExcerpt(body)
    return 0
}
