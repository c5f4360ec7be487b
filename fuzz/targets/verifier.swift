// libFuzzer target: the answer verifier, then both kinds' decoders on whatever it would let through.
// Input: four header values separated by newlines (timestamp, nonce, signature, serial), then the body.
import Foundation
import ImageGenerationTasks
import ProductCoupons
import WatcherCrypto
import WatcherStore
import WeChatPay

private let key = try! RSAPrivateKey.generate(bits: 2048)
private let verifier = ResponseVerifier(publicKeyID: "PUB_KEY_ID_FUZZ", publicKey: key.publicKey)
private let now = Date(timeIntervalSince1970: 1_700_000_000)
private let row = QueuedRow(
    rowID: 1, merchantID: "1900000001", resourceID: "task_000001", brandID: "120344",
    parameters: ["image_generation_type": "CUT_OUT"], state: "PROCESSING")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var parts = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 4, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    while parts.count < 5 { parts.append("") }
    let headers = [
        HTTPHeader("Wechatpay-Timestamp", parts[0]), HTTPHeader("Wechatpay-Nonce", parts[1]),
        HTTPHeader("Wechatpay-Signature", parts[2]), HTTPHeader("Wechatpay-Serial", parts[3]),
    ]
    let body = Array(parts[4].utf8)
    _ = verifier.failure(headers: headers, body: body, now: now)
    _ = ImageGenerationTaskKind().interpret(body, for: row)
    _ = ProductCouponKind().interpret(body, for: row)
    return 0
}
