// libFuzzer target: the row validator as the intake applies it to what producers insert (`RowValidation` for the
// shared columns, then each kind's `validate`), and the request URL built from the row.
// Input: merchant, id, brand and image_generation_type, separated by NUL bytes.
import ImageGenerationTasks
import ProductCoupons
import WatcherEngine
import WatcherStore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRows(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var fields = bytes.split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    while fields.count < 4 { fields.append("") }
    let row = QueuedRow(
        rowID: 1, merchantID: fields[0], resourceID: fields[1], brandID: fields[2],
        parameters: ["image_generation_type": fields[3]], state: "PENDING")
    _ = RowValidation.identifierProblem(row.resourceID, column: "task_id", minimum: 0, maximum: Int.max)
    _ = RowValidation.brandProblem(row.brandID)
    _ = ImageGenerationTaskKind().validate(row)
    _ = ProductCouponKind().validate(row)
    // Built here for any text, not only for valid rows: percent-encoding must hold for every string.
    _ = ImageGenerationTaskKind().request(for: row).canonicalURL
    _ = ProductCouponKind().request(for: row).canonicalURL
    return 0
}
