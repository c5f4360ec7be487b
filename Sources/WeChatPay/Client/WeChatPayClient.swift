import Foundation
import WatcherCrypto
import WatcherLog

/// What one call to WeChat Pay produced, classified by how far it can be trusted.
public enum APIOutcome: Sendable, Equatable {
    /// A 2xx answer whose signature verified: the body may be parsed and believed.
    case verified(status: Int, body: [UInt8])
    /// A non-2xx answer. Error answers are unsigned, so `error` is untrusted text.
    case errorAnswer(status: Int, error: APIErrorBody?, excerpt: String)
    /// A 2xx answer that failed verification: nothing in it may be used.
    case unverified(VerificationFailure, status: Int)
    /// No complete answer arrived.
    case failed(TransportFailure)
}

/// One request and its outcome, with what the caller needs to log and account for it.
public struct APIExchange: Sendable {
    /// What was requested.
    public var request: APIRequest
    /// The host the request went to.
    public var baseURL: String
    /// The classified outcome.
    public var outcome: APIOutcome
    /// WeChat Pay's `Request-ID`, the id its support asks for; present on most answers.
    public var requestID: String?

    /// Creates an exchange record.
    public init(request: APIRequest, baseURL: String, outcome: APIOutcome, requestID: String?) {
        self.request = request
        self.baseURL = baseURL
        self.outcome = outcome
        self.requestID = requestID
    }
}

/// Time as the client needs it: wall clock for signatures and skew checks, monotonic for routing decisions.
public struct ClientClock: Sendable {
    /// Wall-clock now.
    public var wall: @Sendable () -> Date
    /// Monotonic seconds since an arbitrary origin.
    public var monotonic: @Sendable () -> Double

    /// Creates a clock from two closures.
    public init(wall: @escaping @Sendable () -> Date, monotonic: @escaping @Sendable () -> Double) {
        self.wall = wall
        self.monotonic = monotonic
    }

    /// The system clocks.
    public static let system = ClientClock(
        wall: { Date() },
        monotonic: {
            let elapsed = ContinuousClock.now - processStart
            return elapsed.seconds
        }
    )
}

private let processStart = ContinuousClock.now

/// A signed, verifying APIv3 client for one merchant.
///
/// Every request is freshly signed (a retry is never a replay); every 2xx answer is verified before the caller
/// sees its body; connection-level failures move traffic to the backup host.
public final class WeChatPayClient: Sendable {
    /// The merchant this client speaks for.
    public let mchid: String
    private let signer: RequestSigner
    private let verifier: ResponseVerifier
    private let publicKeyID: String
    private let selector: HostSelector
    private let transport: any HTTPTransport
    private let requestTimeout: Duration
    private let maxBodyBytes: Int
    private let userAgent: String
    private let clock: ClientClock
    private let nonce: @Sendable () -> String
    private let logger: Logger

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - requestTimeout: bounds each request from connection to last body byte.
    ///   - maxBodyBytes: a larger answer is abandoned unread (REFERENCE: answers are small JSON documents).
    ///   - userAgent: names the program and its version.
    public init(
        credentials: MerchantCredentials,
        hosts: APIHosts,
        transport: any HTTPTransport,
        requestTimeout: Duration,
        maxBodyBytes: Int = 1 << 20,
        userAgent: String,
        clock: ClientClock = .system,
        nonce: @escaping @Sendable () -> String = { SecureRandom.alphanumeric(count: 32) },
        logger: Logger
    ) {
        self.mchid = credentials.mchid
        self.signer = RequestSigner(
            mchid: credentials.mchid,
            certificateSerial: credentials.certificateSerial,
            privateKey: credentials.privateKey
        )
        self.verifier = ResponseVerifier(
            publicKeyID: credentials.wechatpayPublicKeyID,
            publicKey: credentials.wechatpayPublicKey
        )
        self.publicKeyID = credentials.wechatpayPublicKeyID
        self.selector = HostSelector(hosts: hosts)
        self.transport = transport
        self.requestTimeout = requestTimeout
        self.maxBodyBytes = maxBodyBytes
        self.userAgent = userAgent
        self.clock = clock
        self.nonce = nonce
        self.logger = logger.with(["merchant": .string(credentials.mchid)])
    }

    /// True while this merchant's traffic goes to the backup host.
    public var isOnBackupHost: Bool { selector.isOnBackup }

    /// Signs and sends `request`, verifies the answer, and classifies the outcome. Never throws: every failure is
    /// an outcome the caller maps to what the row and the merchant need.
    public func send(_ request: APIRequest) async -> APIExchange {
        let baseURL = selector.baseURL(now: clock.monotonic())
        let response: HTTPResponse
        do {
            response = try await signAndSend(request, baseURL: baseURL)
        } catch {
            if let event = selector.recordFailure(of: baseURL, failure: error, now: clock.monotonic()) {
                log(event, baseURL: baseURL)
            }
            return exchange(request, baseURL, .failed(error), requestID: nil)
        }
        if let event = selector.recordAnswer(from: baseURL, now: clock.monotonic()) {
            log(event, baseURL: baseURL)
        }
        let requestID = response.headers.value(for: "Request-ID")
        return exchange(request, baseURL, classify(response), requestID: requestID)
    }

    /// Sends a freshly signed request; when a kept-alive connection turns out closed before any answer byte, signs
    /// again (new nonce, new timestamp) and sends once more on a new connection. Bytes are never re-sent as they were.
    private func signAndSend(_ request: APIRequest, baseURL: String) async throws(TransportFailure) -> HTTPResponse {
        var attempt = 1
        while true {
            let httpRequest: HTTPRequest
            do {
                httpRequest = try signedRequest(request, baseURL: baseURL)
            } catch {
                throw .other("cannot sign the request: \(error)")
            }
            do {
                return try await transport.send(httpRequest, timeout: requestTimeout, maxBodyBytes: maxBodyBytes)
            } catch {
                guard case .reusedConnectionClosed(let reason) = error, attempt == 1 else { throw error }
                logger.debug("request.resigned", ["url": .string(httpRequest.url), "reason": .string(reason)])
                attempt += 1
            }
        }
    }

    private func signedRequest(_ request: APIRequest, baseURL: String) throws(CryptoError) -> HTTPRequest {
        let timestamp = Int64(clock.wall().timeIntervalSince1970.rounded(.down))
        let authorization = try signer.authorize(request, timestamp: timestamp, nonce: nonce())
        return HTTPRequest(
            method: request.method,
            url: baseURL + request.canonicalURL,
            headers: [
                HTTPHeader("Authorization", authorization.value),
                HTTPHeader("Accept", "application/json"),
                HTTPHeader("Wechatpay-Serial", publicKeyID),
                HTTPHeader("User-Agent", userAgent),
            ]
        )
    }

    private func classify(_ response: HTTPResponse) -> APIOutcome {
        guard (200..<300).contains(response.status) else {
            return .errorAnswer(
                status: response.status,
                error: APIErrorBody.parse(response.body),
                excerpt: bodyExcerpt(response.body)
            )
        }
        if let failure = verifier.failure(headers: response.headers, body: response.body, now: clock.wall()) {
            return .unverified(failure, status: response.status)
        }
        return .verified(status: response.status, body: response.body)
    }

    private func exchange(_ request: APIRequest, _ baseURL: String, _ outcome: APIOutcome, requestID: String?)
        -> APIExchange
    {
        APIExchange(request: request, baseURL: baseURL, outcome: outcome, requestID: requestID)
    }

    private func log(_ event: FailoverEvent, baseURL: String) {
        switch event {
        case .switchedToBackup(let reason):
            logger.warning(
                "api.failover",
                ["from": .string(baseURL), "to": .string(selector.hosts.backup ?? ""), "reason": .string(reason)]
            )
        case .backupUnreachable(let reason):
            logger.warning(
                "api.failover",
                ["from": .string(baseURL), "to": .string(selector.hosts.primary), "reason": .string(reason)]
            )
        case .returnedToPrimary:
            logger.info("api.failback", ["to": .string(selector.hosts.primary)])
        case .primaryStillDown(let seconds):
            logger.warning(
                "api.primary_still_down",
                ["primary": .string(selector.hosts.primary), "next_probe_seconds": .double(seconds)]
            )
        }
    }
}
