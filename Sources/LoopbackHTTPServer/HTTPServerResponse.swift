/// What the handler answers: status, headers, body, and how to deliver them (or how to fail on purpose).
///
/// The server adds `Content-Length` or `Transfer-Encoding: chunked` (replacing any the handler set, because it
/// frames the body) and `Date` (unless the handler set one).
package struct HTTPServerResponse: Sendable {
    /// How the body is framed on the wire.
    package enum Framing: Sendable, Equatable {
        /// `Content-Length`, the whole body in one piece.
        case contentLength
        /// `Transfer-Encoding: chunked`, in chunks of at most `chunkBytes` (at least 1); an HTTP/1.0 client,
        /// which cannot read chunks, gets `Content-Length` instead.
        case chunked(chunkBytes: Int)
    }

    /// How the connection delivers the response; everything but `.normal` is a fault a client must survive.
    package enum Behaviour: Sendable, Equatable {
        /// Send the response at once.
        case normal
        /// Wait this long, then send normally: a slow server.
        case delay(Duration)
        /// Send nothing and reset the connection (`SO_LINGER` zero), so the client reads `ECONNRESET`.
        case resetConnection
        /// Send the head announcing the full `Content-Length`, then half the body, then reset.
        case resetAfterHeaders
        /// Send the whole response `chunkBytes` at a time, waiting `interval` before each piece.
        case trickle(chunkBytes: Int, interval: Duration)
        /// Never answer; keep the connection open until the client gives up or the server stops.
        case hang
    }

    /// The status code, e.g. 200 or 429.
    package var status: Int
    /// Header fields in the order they are sent.
    package var headers: [HTTPServerHeader]
    /// The body bytes.
    package var body: [UInt8]
    /// How to deliver this response.
    package var behaviour: Behaviour
    /// How to frame the body.
    package var framing: Framing

    /// Creates a response; with no arguments but the status it is an empty, normally delivered answer.
    package init(
        status: Int, headers: [HTTPServerHeader] = [], body: [UInt8] = [], behaviour: Behaviour = .normal,
        framing: Framing = .contentLength
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.behaviour = behaviour
        self.framing = framing
    }

    /// A JSON answer: adds `Content-Type: application/json` unless `headers` already names a content type.
    package static func json(_ status: Int, _ body: String, headers: [HTTPServerHeader] = []) -> HTTPServerResponse {
        let contentType =
            headers.firstValue(named: "Content-Type") == nil
            ? [HTTPServerHeader("Content-Type", "application/json")] : []
        return HTTPServerResponse(status: status, headers: contentType + headers, body: Array(body.utf8))
    }

    /// The reason phrase sent on the status line, e.g. "Too Many Requests" for 429.
    package static func reasonPhrase(for status: Int) -> String {
        if let phrase = knownReasonPhrases[status] { return phrase }
        // The reason phrase may be anything; a class name is more useful in a packet capture than nothing.
        switch status {
        case 100..<200: return "Informational"
        case 200..<300: return "Success"
        case 300..<400: return "Redirection"
        case 400..<500: return "Client Error"
        default: return "Server Error"
        }
    }

    private static let knownReasonPhrases: [Int: String] = [
        100: "Continue", 200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
        301: "Moved Permanently", 302: "Found", 304: "Not Modified",
        400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
        405: "Method Not Allowed", 408: "Request Timeout", 409: "Conflict", 411: "Length Required",
        413: "Content Too Large", 415: "Unsupported Media Type", 429: "Too Many Requests",
        431: "Request Header Fields Too Large",
        500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
        504: "Gateway Timeout", 505: "HTTP Version Not Supported",
    ]
}
