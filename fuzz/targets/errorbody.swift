// libFuzzer target: the parser of unsigned 4xx/5xx bodies (`APIErrorBody.parse`) and the log excerpt of any body.
// Input: an error body.
import WeChatPay

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzErrorBody(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    if let parsed = APIErrorBody.parse(body) {
        _ = parsed.code.utf8.count + parsed.message.utf8.count + (parsed.detail?.utf8.count ?? 0)
    }
    _ = bodyExcerpt(body)
    _ = bodyExcerpt(body, limit: 7)
    return 0
}
