// libFuzzer target: the answer verifier (`ResponseVerifier.failure`) with a fixed WeChat Pay public key, then
// both kinds' decoders on every answer it lets through, as `WeChatPayClient` does.
//
// Input: five lines — Wechatpay-Timestamp, Wechatpay-Nonce, Wechatpay-Signature, Wechatpay-Serial,
// Wechatpay-Signature-Type (an empty line leaves that optional header out) — then the raw body.
// The key is the public half of `TestKeys.referencePEM` (compiled into this target), so the seeds made by
// fuzz/seeds.sh carry real signatures and the fuzzer starts from answers that pass every check.
import Foundation
import ImageGenerationTasks
import ProductCoupons
import WatcherStore
import WeChatPay

private let verifier = ResponseVerifier(publicKeyID: "PUB_KEY_ID_FUZZ", publicKey: TestKeys.merchant.publicKey)
/// The seeds' timestamp is 1700000000: inside the 300 s window of this clock.
private let now = Date(timeIntervalSince1970: 1_700_000_060)
private let task = QueuedRow(
    rowID: 1, merchantID: "1900000001", resourceID: "task_000001", brandID: "120344",
    parameters: ["image_generation_type": "CUT_OUT"], state: "PROCESSING")
private let coupon = QueuedRow(
    rowID: 2, merchantID: "1900000001", resourceID: "1000000013", brandID: "120344", state: "AUDITING")
/// `FUZZ_EXPLAIN=1 .build-fuzz/fuzz-verifier FILE…` prints what became of each input (to check the seeds).
private let explains = ProcessInfo.processInfo.environment["FUZZ_EXPLAIN"] == "1"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVerifier(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let parts = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 5, omittingEmptySubsequences: false)
    let line = { (index: Int) in index < parts.count ? String(decoding: parts[index], as: UTF8.self) : "" }
    var headers = [
        HTTPHeader("Wechatpay-Timestamp", line(0)), HTTPHeader("Wechatpay-Nonce", line(1)),
        HTTPHeader("Wechatpay-Signature", line(2)), HTTPHeader("Wechatpay-Serial", line(3)),
    ]
    if !line(4).isEmpty { headers.append(HTTPHeader("Wechatpay-Signature-Type", line(4))) }
    let body = parts.count > 5 ? Array(parts[5]) : []
    let failure = verifier.failure(headers: headers, body: body, now: now)
    if let failure {
        let text = "\(failure.reason): \(failure.description)"
        if explains { print("unverified \(text)") }
    } else {
        let taskAnswer = ImageGenerationTaskKind().interpret(body, for: task)
        let couponAnswer = ProductCouponKind().interpret(body, for: coupon)
        if explains { print("verified; as a task: \(taskAnswer); as a coupon: \(couponAnswer)") }
    }
    return 0
}
