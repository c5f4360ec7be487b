/// How a connection ends, chosen by whatever ended it.
enum ConnectionEnding {
    /// A plain close: the peer left, the server is stopping, or the connection idled between requests.
    case close
    /// FIN, then read until the peer closes: after a response that ends the conversation, so the client reads
    /// the response rather than a reset caused by bytes it had already sent.
    case closeAfterDraining
    /// RST, for the reset behaviours.
    case reset
}

/// One client connection, served on its own thread: requests are read, answered and consumed in order, which
/// is also what keeps pipelined requests in order.
struct Connection {
    let core: ServerCore
    let socket: ConnectedSocket
    private var input = InputBuffer()

    private static let continueResponse = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    init(core: ServerCore, socket: ConnectedSocket) {
        self.core = core
        self.socket = socket
    }

    mutating func run() -> ConnectionEnding {
        socket.disableNagle()
        while true {
            let request: HTTPServerRequest
            let head: RequestHead
            do throws(RequestRejection) {
                guard let next = try readRequest() else { return .close }
                (request, head) = next
            } catch {
                return reject(error)
            }
            if let ending = respond(to: request, head: head) { return ending }
        }
    }

    /// Reads the next whole request; nil when the peer closed, or went idle between requests.
    private mutating func readRequest() throws(RequestRejection) -> (HTTPServerRequest, RequestHead)? {
        var headLength: Int
        while true {
            input.dropLeadingLineBreaks()
            if let length = input.headLength() {
                headLength = length
                break
            }
            guard input.count <= RequestLimits.maximumHeadBytes else { throw .headTooLarge }
            guard try receiveMore() else { return nil }
        }
        let receivedAt = ContinuousClock.now
        guard headLength <= RequestLimits.maximumHeadBytes else { throw .headTooLarge }
        let head = try RequestHeadParser.parse(input.bytes[..<headLength])
        let requestLength = headLength + head.contentLength
        if input.count < requestLength, head.expectsContinue, head.minorVersion == 1 {
            guard socket.sendAll(Self.continueResponse[...]) else { return nil }
        }
        while input.count < requestLength {
            guard try receiveMore() else { return nil }
        }
        input.removeFirst(headLength)
        let body = input.removeFirst(head.contentLength)
        let request = HTTPServerRequest(
            method: head.method, target: head.target, headers: head.headers, body: body, receivedAt: receivedAt)
        return (request, head)
    }

    /// Waits up to the idle timeout and reads; false when the peer closed or idled out between requests.
    /// Idling out halfway through a request throws, so the client learns why with a 408.
    private mutating func receiveMore() throws(RequestRejection) -> Bool {
        switch socket.waitUntilReadable(timeout: core.idleTimeout) {
        case .readable:
            return input.receive(from: socket) == .received
        case .timedOut:
            guard input.isEmpty else { throw .timedOut }
            return false
        case .failed:
            return false
        }
    }

    /// Calls the handler and delivers its answer; nil when the connection carries on.
    private mutating func respond(to request: HTTPServerRequest, head: RequestHead) -> ConnectionEnding? {
        let response = core.handler(request)
        core.recordRequest()
        let keepAlive = head.wantsKeepAlive && !ResponseSerializer.asksToClose(response)
        let serialized = ResponseSerializer.serialize(
            response, keepAlive: keepAlive, minorVersion: head.minorVersion, includeBody: head.method != "HEAD")
        let delivery = ResponseDelivery(core: core, socket: socket)
        if let ending = delivery.deliver(serialized, behaviour: response.behaviour) { return ending }
        return keepAlive ? nil : .closeAfterDraining
    }

    /// Answers a request the server refused itself; the connection closes because its framing is in doubt.
    private func reject(_ rejection: RequestRejection) -> ConnectionEnding {
        let response = HTTPServerResponse(
            status: rejection.status,
            headers: [HTTPServerHeader("Content-Type", "text/plain; charset=utf-8")],
            body: Array((rejection.explanation + "\n").utf8))
        let serialized = ResponseSerializer.serialize(response, keepAlive: false, minorVersion: 1, includeBody: true)
        return socket.sendAll(serialized.bytes[...]) ? .closeAfterDraining : .close
    }
}
