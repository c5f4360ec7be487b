// libFuzzer target: the HTTP/1.1 response parser (`HTTPResponseParser`), which reads what a server sends.
// Input: the bytes of an answer. The first byte splits the rest into two pieces fed one after the other (answers
// arrive in pieces), and picks the body cap; then the end of the stream.
import WeChatPay

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResponse(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let control = Int(data[0])
    let bytes = UnsafeBufferPointer(start: data + 1, count: size - 1)
    let split = bytes.isEmpty ? 0 : control % (bytes.count + 1)
    let cap = control & 1 == 0 ? 1 << 20 : 64
    for headOnly in [false, true] {
        var parser = HTTPResponseParser(maxBodyBytes: cap, maxHeaderBytes: 4096, headOnly: headOnly)
        do {
            var answer = try parser.consume(bytes[..<split])
            if answer == nil { answer = try parser.consume(bytes[split...]) }
            if answer == nil { answer = try parser.finish() }
            if let answer {
                precondition(answer.body.count <= cap, "body over the cap")
                _ = answer.headers.values(for: "Content-Type").count + answer.trailers.count + answer.status
            }
        } catch {
            _ = error.description.utf8.count
        }
    }
    return 0
}
