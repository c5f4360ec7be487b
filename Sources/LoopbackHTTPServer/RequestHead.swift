/// The request line and header fields of one request, parsed before its body is read.
struct RequestHead: Equatable {
    var method: String
    var target: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1; decides whether the connection persists by default.
    var minorVersion: Int
    var headers: [HTTPServerHeader]
    /// From `Content-Length`; 0 when absent, because without Transfer-Encoding that means no body.
    var contentLength: Int
    /// The client waits for `100 Continue` before sending the body (curl does for large uploads).
    var expectsContinue: Bool

    /// HTTP/1.1 persists unless either side says "close"; HTTP/1.0 only if asked "keep-alive".
    var wantsKeepAlive: Bool {
        if headers.containsToken("close", inFieldNamed: "Connection") { return false }
        return minorVersion >= 1 || headers.containsToken("keep-alive", inFieldNamed: "Connection")
    }
}

/// The limits that keep one bad client from exhausting memory.
enum RequestLimits {
    /// The request line and every header field together, empty line included.
    static let maximumHeadBytes = 64 * 1024
    /// A WeChat Pay request body is a few KiB of JSON; anything near a mebibyte is a client bug.
    static let maximumBodyBytes = 1024 * 1024
}

/// Why a request was answered by the server itself; the connection then closes, since framing may be lost.
enum RequestRejection: Error, Equatable {
    case malformed(String)
    case headTooLarge
    case bodyTooLarge(Int)
    case transferEncodingNotImplemented(String)
    case versionNotSupported(String)
    case timedOut

    var status: Int {
        switch self {
        case .malformed: 400
        case .headTooLarge: 431
        case .bodyTooLarge: 413
        case .transferEncodingNotImplemented: 501
        case .versionNotSupported: 505
        case .timedOut: 408
        }
    }

    /// A one-line body that tells whoever reads the client's log what the simulator disliked.
    var explanation: String {
        switch self {
        case .malformed(let why): "bad request: \(why)"
        case .headTooLarge: "request head exceeds \(RequestLimits.maximumHeadBytes) bytes"
        case .bodyTooLarge(let length):
            "Content-Length \(length) exceeds the limit of \(RequestLimits.maximumBodyBytes) bytes"
        case .transferEncodingNotImplemented(let coding):
            "Transfer-Encoding \"\(coding)\" is not supported; send a Content-Length body"
        case .versionNotSupported(let version): "\(version) is not supported; use HTTP/1.1"
        case .timedOut: "the request did not arrive completely before the idle timeout"
        }
    }
}
