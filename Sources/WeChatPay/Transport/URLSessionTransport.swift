import Dispatch
import Foundation
import WatcherSync

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The production transport: one long-lived `URLSession` (libcurl underneath on Linux) for the whole process.
///
/// Delegate-based rather than `data(for:)` so that it can enforce what the async API cannot: a deadline for the
/// whole exchange (URLSession's own timeout is an idle timeout), a cap on the body size checked while bytes
/// arrive, and knowledge of whether any part of an answer arrived before a failure — the difference between
/// "the host is unreachable" (fail over) and "the answer broke" (retry).
public final class URLSessionTransport: HTTPTransport {
    private let session: URLSession
    private let delegate: SessionDelegate

    /// Creates the transport and its session.
    ///
    /// - Parameter maximumConnectionsPerHost: high enough that requests are never queued inside URLSession,
    ///   where they would leave in bursts and defeat the rate limiter's pacing.
    public init(maximumConnectionsPerHost: Int = 64) {
        let configuration = URLSessionConfiguration.ephemeral
        // An ephemeral configuration still creates cache folders under $HOME on Linux (REFERENCE §8).
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpMaximumConnectionsPerHost = maximumConnectionsPerHost
        delegate = SessionDelegate()
        let queue = OperationQueue()
        queue.name = "wechatpay-watcher.urlsession"
        queue.maxConcurrentOperationCount = 1
        session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
    }

    deinit {
        session.invalidateAndCancel()
    }

    /// Sends the request; see ``HTTPTransport``.
    public func send(
        _ request: HTTPRequest,
        timeout: Duration,
        maxBodyBytes: Int
    ) async throws(TransportFailure) -> HTTPResponse {
        guard let url = URL(string: request.url) else {
            throw .other("not a valid URL: \(request.url)")
        }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method
        urlRequest.timeoutInterval = timeout.seconds
        for header in request.headers {
            urlRequest.setValue(header.value, forHTTPHeaderField: header.name)
        }
        if !request.body.isEmpty {
            urlRequest.httpBody = Data(request.body)
        }
        let task = session.dataTask(with: urlRequest)
        let exchange = Exchange(maxBodyBytes: maxBodyBytes)
        let result: Result<HTTPResponse, TransportFailure> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                guard exchange.start(continuation) else { return }
                delegate.register(exchange, for: task.taskIdentifier)
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout.seconds) { [weak task] in
                    if exchange.abandon(because: .deadline) { task?.cancel() }
                }
                task.resume()
            }
        } onCancel: {
            if exchange.abandon(because: .callerCancelled) { task.cancel() }
        }
        return try result.get()
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// Why an exchange was stopped from our side.
private enum AbandonReason {
    case deadline
    case callerCancelled
    case bodyTooLarge
}

/// The state of one request, shared between the session's delegate queue, the deadline timer and the caller.
private final class Exchange: Sendable {
    typealias Continuation = CheckedContinuation<Result<HTTPResponse, TransportFailure>, Never>

    private struct State {
        var continuation: Continuation?
        var status = 0
        var headers: [HTTPHeader] = []
        var body: [UInt8] = []
        var responseStarted = false
        var abandoned: AbandonReason?
    }

    let maxBodyBytes: Int
    private let state = Locked(State())

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    /// Keeps the caller's continuation; false (after resuming it) when the caller cancelled before the start.
    func start(_ continuation: Continuation) -> Bool {
        let abandoned = state.withLock { state in
            guard state.abandoned == nil else { return true }
            state.continuation = continuation
            return false
        }
        if abandoned { continuation.resume(returning: .failure(.cancelled)) }
        return !abandoned
    }

    /// Stops the exchange from our side and answers the caller at once, without waiting for URLSession to report
    /// the cancelled task (a deadline must hold even if that report is late or lost); true when the caller should
    /// cancel the URLSession task.
    func abandon(because reason: AbandonReason) -> Bool {
        let (continuation, result) = state.withLock { state in
            guard state.abandoned == nil else {
                return (Continuation?.none, Result<HTTPResponse, TransportFailure>?.none)
            }
            state.abandoned = reason
            let continuation = state.continuation
            state.continuation = nil
            let result = Self.result(of: state, error: nil, maxBodyBytes: maxBodyBytes)
            // The caller has its answer; what arrived so far (up to the cap) need not wait for URLSession.
            state.body = []
            return (continuation, result)
        }
        guard let continuation, let result else { return false }
        continuation.resume(returning: result)
        return true
    }

    /// Records the status line and headers; false when the announced length is already over the cap.
    func receive(response: HTTPURLResponse) -> Bool {
        state.withLock { state in
            state.responseStarted = true
            state.status = response.statusCode
            state.headers = response.allHeaderFields.compactMap { key, value in
                guard let name = key as? String else { return nil }
                return HTTPHeader(name, "\(value)")
            }
        }
        if response.expectedContentLength > Int64(maxBodyBytes) {
            return !abandon(because: .bodyTooLarge)
        }
        return true
    }

    /// Appends body bytes; false when the task must be cancelled: the cap is exceeded, or the exchange was
    /// abandoned and nothing more is wanted.
    func receive(data: Data) -> Bool {
        let overflow: Bool? = state.withLock { state in
            guard state.abandoned == nil else { return nil }
            state.responseStarted = true
            state.body.append(contentsOf: data)
            return state.body.count > maxBodyBytes
        }
        guard let overflow else { return false }
        return !(overflow && abandon(because: .bodyTooLarge))
    }

    func complete(error: (any Error)?) {
        let (continuation, result) = state.withLock { state in
            let continuation = state.continuation
            state.continuation = nil
            return (continuation, Self.result(of: state, error: error, maxBodyBytes: maxBodyBytes))
        }
        continuation?.resume(returning: result)
    }

    private static func result(of state: State, error: (any Error)?, maxBodyBytes: Int) -> Result<
        HTTPResponse, TransportFailure
    > {
        switch state.abandoned {
        case .deadline: return .failure(.timedOut(responseStarted: state.responseStarted))
        case .callerCancelled: return .failure(.cancelled)
        case .bodyTooLarge: return .failure(.bodyTooLarge(limit: maxBodyBytes))
        case nil: break
        }
        if let error {
            return .failure(failure(for: error, responseStarted: state.responseStarted))
        }
        return .success(HTTPResponse(status: state.status, headers: state.headers, body: state.body))
    }

    private static func failure(for error: any Error, responseStarted: Bool) -> TransportFailure {
        guard let urlError = error as? URLError else {
            return .other(String(describing: error))
        }
        let reason = urlError.localizedDescription
        switch urlError.code {
        case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet,
            .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
            .serverCertificateHasUnknownRoot, .serverCertificateNotYetValid, .clientCertificateRejected,
            .clientCertificateRequired, .cannotLoadFromNetwork, .internationalRoamingOff:
            return .connectFailed(reason)
        case .timedOut:
            return .timedOut(responseStarted: responseStarted)
        case .networkConnectionLost, .badServerResponse, .zeroByteResource, .cannotParseResponse:
            return .connectionLost(reason, responseStarted: responseStarted)
        case .cancelled:
            return .cancelled
        default:
            return .other("\(reason) (URLError \(urlError.code.rawValue))")
        }
    }
}

/// Routes URLSession's delegate callbacks to the exchange they belong to.
private final class SessionDelegate: NSObject, URLSessionDataDelegate, Sendable {
    private let exchanges = Locked<[Int: Exchange]>([:])

    func register(_ exchange: Exchange, for taskIdentifier: Int) {
        exchanges.withLock { $0[taskIdentifier] = exchange }
    }

    private func exchange(for task: URLSessionTask) -> Exchange? {
        exchanges.withLock { $0[task.taskIdentifier] }
    }

    func urlSession(
        _ session: URLSession,
        dataTask: URLSessionDataTask,
        didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        guard let exchange = exchange(for: dataTask), let http = response as? HTTPURLResponse else {
            completionHandler(.allow)
            return
        }
        completionHandler(exchange.receive(response: http) ? .allow : .cancel)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        if let exchange = exchange(for: dataTask), !exchange.receive(data: data) {
            dataTask.cancel()
        }
    }

    func urlSession(
        _ session: URLSession,
        task: URLSessionTask,
        willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest,
        completionHandler: @escaping (URLRequest?) -> Void
    ) {
        // WeChat Pay never redirects; following one would send a signed request somewhere it was not signed for.
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let exchange = exchanges.withLock { $0.removeValue(forKey: task.taskIdentifier) }
        exchange?.complete(error: error)
    }
}
