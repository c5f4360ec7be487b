import Foundation
import LoopbackHTTPServer
import WatcherSync

/// Requests a handler saw, for tests that inspect what the server parsed.
final class RequestRecorder: Sendable {
    private let requests = Locked<[HTTPServerRequest]>([])

    func record(_ request: HTTPServerRequest) {
        requests.withLock { $0.append(request) }
    }

    var all: [HTTPServerRequest] { requests.withLock { $0 } }
}

/// A started server on an ephemeral port.
func startServer(
    idleTimeout: Duration = .seconds(8),
    handler: @escaping @Sendable (HTTPServerRequest) -> HTTPServerResponse = { .json(200, #"{"path":"\#($0.path)"}"#) }
) throws -> HTTPServer {
    let server = try HTTPServer(idleTimeout: idleTimeout, handler: handler)
    server.start()
    return server
}

/// Polls `condition` until it holds or `timeout` passes: connection threads finish shortly after clients close.
func eventually(timeout: Duration = .seconds(3), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return condition()
}

/// How long `body` took.
func measure(_ body: () throws -> Void) rethrows -> Duration {
    let start = ContinuousClock.now
    try body()
    return ContinuousClock.now - start
}

/// A minimal GET; HTTP/1.1 unless told otherwise.
func get(_ target: String, version: String = "HTTP/1.1", headers: [String] = []) -> String {
    (["GET \(target) \(version)", "Host: 127.0.0.1"] + headers).joined(separator: "\r\n") + "\r\n\r\n"
}
