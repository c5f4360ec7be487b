// libFuzzer target: the resource kinds' readers of a verified answer body (`interpret`), for rows in each state
// and generation type, so every branch of the answer checks is reachable.
// Input: an answer body.
import ImageGenerationTasks
import ProductCoupons
import WatcherEngine
import WatcherStore

private let tasks = ["COMBINE_IMAGE", "CUT_OUT"].map { type in
    QueuedRow(
        rowID: 1, merchantID: "1900000001", resourceID: "task_000001", brandID: "120344",
        parameters: ["image_generation_type": type], state: "PROCESSING")
}
private let coupon = QueuedRow(
    rowID: 2, merchantID: "1900000001", resourceID: "1000000013", brandID: "120344", state: "AUDITING")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecoders(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    for task in tasks { describe(ImageGenerationTaskKind().interpret(body, for: task)) }
    describe(ProductCouponKind().interpret(body, for: coupon))
    return 0
}

/// Renders the interpretation the way the engine logs it, so the text-building paths run too.
private func describe(_ interpretation: Interpretation) {
    _ = String(describing: interpretation)
}
