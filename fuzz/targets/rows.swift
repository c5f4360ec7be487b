// libFuzzer target: the row validator, as the intake applies it to what producers insert.
// Input: merchant, id, brand and type separated by NUL bytes.
import ImageGenerationTasks
import ProductCoupons
import WatcherEngine
import WatcherStore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var fields = bytes.split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    while fields.count < 4 { fields.append("") }
    let row = QueuedRow(
        rowID: 1, merchantID: fields[0], resourceID: fields[1], brandID: fields[2],
        parameters: ["image_generation_type": fields[3]], state: "PENDING")
    _ = RowValidation.brandProblem(row.brandID)
    _ = RowValidation.identifierProblem(row.resourceID, column: "task_id", minimum: 6, maximum: 40)
    _ = ImageGenerationTaskKind().validate(row)
    _ = ProductCouponKind().validate(row)
    _ = ImageGenerationTaskKind().request(for: row)
    _ = ProductCouponKind().request(for: row)
    return 0
}
