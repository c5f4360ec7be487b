import Foundation
import WatcherCrypto
import WatcherLog
import WatcherPOSIX
import WatcherSync

/// What one call to WeChat Pay produced, classified by how far it can be trusted.
package enum APIOutcome: Sendable, Equatable {
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
package struct APIExchange: Sendable {
    /// What was requested.
    package var request: APIRequest
    /// The host the request went to.
    package var baseURL: String
    /// The classified outcome.
    package var outcome: APIOutcome
    /// WeChat Pay's `Request-ID`, the id its support asks for; present on most answers.
    package var requestID: String?

    /// Creates an exchange record.
    package init(request: APIRequest, baseURL: String, outcome: APIOutcome, requestID: String?) {
        self.request = request
        self.baseURL = baseURL
        self.outcome = outcome
        self.requestID = requestID
    }
}

/// Time as the client needs it: wall clock for signatures and skew checks, monotonic for routing decisions.
package struct ClientClock: Sendable {
    /// Wall-clock now.
    package var wall: @Sendable () -> Date
    /// Monotonic seconds since an arbitrary origin.
    package var monotonic: @Sendable () -> Double

    /// Creates a clock from two closures.
    package init(wall: @escaping @Sendable () -> Date, monotonic: @escaping @Sendable () -> Double) {
        self.wall = wall
        self.monotonic = monotonic
    }

    /// The system clocks.
    package static let system = ClientClock(
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
package final class WeChatPayClient: Sendable {
    /// The merchant this client speaks for.
    package let merchantID: String
    private let signer: RequestSigner
    private let publicKey: (id: String, key: RSAPublicKey)?
    private let certificates: PlatformCertificateKeeper?
    private let verifiedByKey = Locked<[String: Int]>([:])
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
    ///   - maxBodyBytes: a larger answer is abandoned unread (answers are small JSON documents).
    ///   - userAgent: names the program and its version.
    package init(
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
        self.merchantID = credentials.merchantID
        self.signer = RequestSigner(
            mchid: credentials.merchantID,
            certificateSerial: credentials.certificateSerial,
            privateKey: credentials.privateKey
        )
        self.publicKey = credentials.wechatpayPublicKey
        self.certificates = credentials.platformCertificates.map {
            PlatformCertificateKeeper(
                settings: $0, merchantID: credentials.merchantID, publicKey: credentials.wechatpayPublicKey,
                logger: logger,
                now: clock.wall())
        }
        self.selector = HostSelector(hosts: hosts)
        self.transport = transport
        self.requestTimeout = requestTimeout
        self.maxBodyBytes = maxBodyBytes
        self.userAgent = userAgent
        self.clock = clock
        self.nonce = nonce
        self.logger = logger.with(["merchant": .string(credentials.merchantID)])
    }

    /// True while this merchant's traffic goes to the backup host.
    package var isOnBackupHost: Bool { selector.isOnBackup }

    /// Signs and sends `request`, verifies the answer, and classifies the outcome. Never throws: every failure is
    /// an outcome the caller maps to what the row and the merchant need.
    ///
    /// In platform-certificate and migration mode, an answer signed by a certificate not held starts a download
    /// (one at a time, at most one a minute) and is verified again with what it brought.
    package func send(_ request: APIRequest) async -> APIExchange {
        await refreshCertificatesIfDue()
        let (baseURL, result) = await transmit(request)
        let response: HTTPResponse
        switch result {
        case .success(let answer): response = answer
        case .failure(let failure): return exchange(request, baseURL, .failed(failure), requestID: nil)
        }
        let requestID = response.headers.value(for: "Request-ID")
        var outcome = classify(response)
        if case .unverified(.unknownCertificateSerial(let serial, _), _) = outcome, let certificates {
            _ = await certificates.refresh(
                .unknownSerial, now: clock.wall().timeIntervalSince1970, unknownSerial: serial,
                download: certificateDownload)
            outcome = classify(response)
        }
        return exchange(request, baseURL, outcome, requestID: requestID)
    }

    /// Downloads the platform certificates now (whatever the schedule) and holds them if they are trusted; nil
    /// in public-key mode.
    package func downloadPlatformCertificates() async -> Result<PlatformCertificateSet, PlatformCertificateError>? {
        guard let certificates else { return nil }
        return await certificates.refresh(
            .requested, now: clock.wall().timeIntervalSince1970, download: certificateDownload)
    }

    /// Makes sure certificates are held before the first poll: without a cache holding a certificate valid now, a
    /// download must succeed. A cache that the configured APIv3 key does not open is an error unless a download
    /// opens with that key (it was reset on the merchant platform since). Nil when ready (or in public-key mode).
    package func preparePlatformCertificates() async -> PlatformCertificateError? {
        guard let certificates else { return nil }
        if let problem = certificates.cacheProblem {
            switch await downloadPlatformCertificates() {
            case .success?:
                logger.warning(
                    "certificates.cache_unusable",
                    [
                        "file": .string(certificates.settings.cacheFile ?? ""), "error": .string(problem.description),
                        "hint": .string(
                            "WeChat Pay's certificates open with the configured APIv3 key, so the key was changed "
                                + "since the cache was written; the cache is replaced"),
                    ])
                certificates.expiryWarnings(now: clock.wall().timeIntervalSince1970)
                return nil
            case .failure(.transport)?, .failure(.errorAnswer)?, nil:
                // Nothing proves the key right: the cache's verdict stands.
                return problem
            case .failure(let error)?:
                return error
            }
        }
        let now = Int64(clock.wall().timeIntervalSince1970.rounded(.down))
        guard certificates.held.newestValid(at: now) == nil else {
            certificates.expiryWarnings(now: clock.wall().timeIntervalSince1970)
            return nil
        }
        if case .failure(let error) = await downloadPlatformCertificates() { return error }
        certificates.expiryWarnings(now: clock.wall().timeIntervalSince1970)
        return nil
    }

    /// True when answers may be verified with the WeChat Pay public key (public-key and migration mode).
    package var verifiesWithPublicKey: Bool { publicKey != nil }

    /// The platform certificates held; nil in public-key mode.
    package var platformCertificates: PlatformCertificateSet? { certificates?.held }

    /// How many answers each key verified so far, by key serial (the public key id or a certificate serial).
    package var verifiedAnswersByKey: [String: Int] { verifiedByKey.withLock { $0 } }

    private func refreshCertificatesIfDue() async {
        guard let certificates else { return }
        let now = clock.wall().timeIntervalSince1970
        certificates.expiryWarnings(now: now)
        guard certificates.isRefreshDue(now: now) else { return }
        _ = await certificates.refresh(.scheduled, now: now, download: certificateDownload)
    }

    /// One signed `GET /v3/certificates`; its answer is checked by the keeper, which knows what is held.
    private var certificateDownload: PlatformCertificateKeeper.Download {
        { [self] in
            let (_, result) = await transmit(APIRequest(pathSegments: ["v3", "certificates"]))
            switch result {
            case .failure(let failure):
                return .failure(.transport(failure))
            case .success(let response) where (200..<300).contains(response.status):
                return .success(response)
            case .success(let response):
                let error = APIErrorBody.parse(response.body)
                let requestID = response.headers.value(for: "Request-ID")
                if response.status == 404, let error, ["RESOURCE_NOT_EXISTS", "NOT_FOUND"].contains(error.code) {
                    return .failure(
                        .noCertificates(
                            status: 404, code: error.code, message: error.message, requestID: requestID))
                }
                return .failure(
                    .errorAnswer(
                        status: response.status, code: error?.code,
                        message: error?.message ?? bodyExcerpt(response.body), requestID: requestID))
            }
        }
    }

    /// Signs and sends one request through the host selector: a retry is always signed afresh.
    private func transmit(_ request: APIRequest) async -> (String, Result<HTTPResponse, TransportFailure>) {
        let baseURL = selector.baseURL(now: clock.monotonic())
        let response: HTTPResponse
        do {
            response = try await signAndSend(request, baseURL: baseURL)
        } catch {
            if let event = selector.recordFailure(of: baseURL, failure: error, now: clock.monotonic()) {
                log(event, baseURL: baseURL)
            }
            return (baseURL, .failure(error))
        }
        if let event = selector.recordAnswer(from: baseURL, now: clock.monotonic()) {
            log(event, baseURL: baseURL)
        }
        return (baseURL, .success(response))
    }

    /// What a request names as `Wechatpay-Serial`: the public key id when one is configured (the migration's
    /// target), otherwise the newest valid platform certificate; nothing before the first download.
    private var requestSerial: String? {
        if let publicKey { return publicKey.id }
        let now = Int64(clock.wall().timeIntervalSince1970.rounded(.down))
        return certificates?.held.newestValid(at: now)?.serialNumber
    }

    /// Sends a freshly signed request; when a kept-alive connection turns out closed before the request was written
    /// whole, signs again (new nonce, new timestamp) and sends once more on a new connection. Bytes are never re-sent
    /// as they were, and a request the server may have read is never sent again here.
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
                // A delivered request may have been counted by the server: the lane retries it under a new permit.
                guard case .reusedConnectionClosed(let reason, requestDelivered: false) = error, attempt == 1 else {
                    throw error
                }
                logger.debug("request.resigned", ["url": .string(httpRequest.url), "reason": .string(reason)])
                attempt += 1
            }
        }
    }

    private func signedRequest(_ request: APIRequest, baseURL: String) throws(CryptoError) -> HTTPRequest {
        let timestamp = Int64(clock.wall().timeIntervalSince1970.rounded(.down))
        let authorization = try signer.authorize(request, timestamp: timestamp, nonce: nonce())
        var headers = [
            HTTPHeader("Authorization", authorization.value),
            HTTPHeader("Accept", "application/json"),
        ]
        if let serial = requestSerial { headers.append(HTTPHeader("Wechatpay-Serial", serial)) }
        headers.append(HTTPHeader("User-Agent", userAgent))
        return HTTPRequest(method: request.method, url: baseURL + request.canonicalURL, headers: headers)
    }

    private func classify(_ response: HTTPResponse) -> APIOutcome {
        guard (200..<300).contains(response.status) else {
            return .errorAnswer(
                status: response.status,
                error: APIErrorBody.parse(response.body),
                excerpt: bodyExcerpt(response.body)
            )
        }
        let verifier = ResponseVerifier(keys: VerificationKeys(publicKey: publicKey, certificates: certificates?.held))
        switch verifier.verify(headers: response.headers, body: response.body, now: clock.wall()) {
        case .failure(let failure):
            return .unverified(failure, status: response.status)
        case .success(let serial):
            verifiedByKey.withLock { $0[serial, default: 0] += 1 }
            return .verified(status: response.status, body: response.body)
        }
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
