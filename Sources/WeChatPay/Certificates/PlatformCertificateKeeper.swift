import Foundation
import WatcherCrypto
import WatcherLog
import WatcherSync

/// Holds one merchant's platform certificates: loads them from the cache at start, replaces them after each
/// trusted download, and runs at most one download at a time, at most one a minute.
///
/// The cache holds the `/v3/certificates` answer as received, still encrypted: loading it decrypts it with the
/// configured APIv3 key, so a cache file cannot smuggle in a certificate, and a changed key shows at start.
final class PlatformCertificateKeeper: Sendable {
    /// The outcome of one download, as every waiter on it sees it.
    typealias Download = @Sendable () async -> Result<HTTPResponse, PlatformCertificateError>

    private struct State {
        var held: PlatformCertificateSet
        /// Wall-clock seconds of the last trusted answer (the cache file's time after a restart), or of WeChat Pay
        /// saying it has no certificate to give.
        var refreshedAt: Double?
        var lastAttemptAt = -Double.infinity
        /// When an answer by an unknown serial last started a download.
        var lastUnknownSerialAt = -Double.infinity
        var inFlight: Task<Result<PlatformCertificateSet, PlatformCertificateError>, Never>?
        var lastExpiryWarningAt: [String: Double] = [:]
    }

    /// A scheduled refresh this long after the last trusted answer.
    static let refreshInterval = 12.0 * 3600
    /// Downloads are at most this often, whatever asks for them.
    static let minimumInterval = 60.0

    let settings: PlatformCertificateSettings
    let merchantID: String
    /// In migration mode a download may also be signed with the public key.
    private let publicKey: (id: String, key: RSAPublicKey)?
    private let logger: Logger
    private let state: Locked<State>

    /// Why the cache could not be used: it does not decrypt with the configured key (the key changed). A cache
    /// that is merely damaged is logged and ignored (the certificates are downloaded). No certificate from it is used
    /// then.
    let cacheProblem: PlatformCertificateError?

    /// Loads the cache if there is one.
    init(
        settings: PlatformCertificateSettings, merchantID: String, publicKey: (id: String, key: RSAPublicKey)?,
        logger: Logger, now: Date
    ) {
        self.settings = settings
        self.merchantID = merchantID
        self.publicKey = publicKey
        self.logger = logger
        var initial = State(held: .empty)
        var problem: PlatformCertificateError?
        if let cacheFile = settings.cacheFile, let cached = FileManager.default.contents(atPath: cacheFile) {
            do throws(PlatformCertificateError) {
                let certificates = try PlatformCertificateDecoder.decode(
                    Array(cached), apiv3Key: settings.apiv3Key, keyFile: settings.apiv3KeyFile,
                    now: Int64(now.timeIntervalSince1970))
                initial.held = PlatformCertificateSet(certificates)
                let attributes = try? FileManager.default.attributesOfItem(atPath: cacheFile)
                initial.refreshedAt = ((attributes?[.modificationDate] as? Date) ?? now).timeIntervalSince1970
            } catch {
                switch error {
                case .wrongAPIv3Key:
                    problem = error
                default:
                    // A damaged file (a crash while copying it, a full disk) says nothing about the merchant's
                    // certificates: download them as if there were no cache, and the download rewrites it.
                    logger.warning(
                        "certificates.cache_unusable",
                        [
                            "merchant": .string(merchantID), "file": .string(cacheFile),
                            "error": .string(error.description), "hint": "ignored; the certificates are downloaded",
                        ])
                }
            }
        }
        self.cacheProblem = problem
        self.state = Locked(initial)
    }

    /// The certificates held now.
    var held: PlatformCertificateSet { state.withLock { $0.held } }

    /// True when the scheduled refresh is due: nothing trusted yet, or the last answer is 12 hours old; and the
    /// last attempt is more than a minute ago.
    func isRefreshDue(now: Double) -> Bool {
        state.withLock { state in
            guard now - state.lastAttemptAt >= Self.minimumInterval, state.inFlight == nil else { return false }
            guard let refreshedAt = state.refreshedAt else { return true }
            return now - refreshedAt >= Self.refreshInterval
        }
    }

    /// What asks for a download.
    enum Reason: String {
        /// The 12-hour schedule (or a retry of it, once a minute).
        case scheduled
        /// An answer named a certificate not held: at most once a minute, so a stream of strange serials cannot
        /// turn into a stream of downloads.
        case unknownSerial = "unknown_serial"
        /// An operator or the start-up asked.
        case requested
    }

    /// Downloads now unless a download is in flight (then waits for it) or, for an unknown serial, one was
    /// started for that reason less than a minute ago (then returns the held set). Never replaces the held set
    /// with an empty or failed download.
    ///
    /// - Parameter unknownSerial: the serial an answer named, logged when it starts a download.
    func refresh(_ reason: Reason, now: Double, unknownSerial: String? = nil, download: @escaping Download) async
        -> Result<PlatformCertificateSet, PlatformCertificateError>
    {
        typealias Pending = Task<Result<PlatformCertificateSet, PlatformCertificateError>, Never>
        let (task, started) = state.withLock { state -> (Pending?, Bool) in
            if let inFlight = state.inFlight { return (inFlight, false) }
            if reason == .unknownSerial {
                guard now - state.lastUnknownSerialAt >= Self.minimumInterval else { return (nil, false) }
                state.lastUnknownSerialAt = now
            }
            state.lastAttemptAt = now
            let task = Task { [self] in await self.download(reason: reason.rawValue, now: now, download: download) }
            state.inFlight = task
            return (task, true)
        }
        // Once per download, not once per answer: while the minute runs, the answers' own lines say enough.
        if started, let unknownSerial {
            logger.info(
                "certificates.unknown_serial", ["merchant": .string(merchantID), "serial": .string(unknownSerial)])
        }
        guard let task else { return .success(held) }
        return await task.value
    }

    private func download(reason: String, now: Double, download: Download) async
        -> Result<PlatformCertificateSet, PlatformCertificateError>
    {
        let result = await fetch(now: now, download: download)
        let outcome = state.withLock { state -> Result<PlatformCertificateSet, PlatformCertificateError> in
            state.inFlight = nil
            switch result {
            case .success(let (downloaded, _, requestID)):
                guard let replacement = state.held.replaced(by: downloaded, at: Int64(now)) else {
                    // WeChat Pay answered that it has nothing valid to give: ask again on the 12-hour schedule
                    // (or for an unknown serial), not every minute.
                    state.refreshedAt = now
                    return .failure(.empty(requestID: requestID))
                }
                state.held = replacement
                state.refreshedAt = now
                return .success(replacement)
            case .failure(let error):
                if case .noCertificates = error { state.refreshedAt = now }
                return .failure(error)
            }
        }
        switch (outcome, result) {
        case (.success(let set), .success(let (_, body, _))):
            store(body)
            logger.info(
                "certificates.refreshed",
                [
                    "merchant": .string(merchantID), "reason": .string(reason),
                    "serials": .string(set.serials.joined(separator: ",")),
                ])
        case (.failure(let error), _):
            logger.error(
                "certificates.refresh_failed",
                ["merchant": .string(merchantID), "reason": .string(reason), "error": .string(error.description)])
        default:
            break
        }
        return outcome
    }

    private func fetch(now: Double, download: Download) async
        -> Result<(PlatformCertificateSet, [UInt8], requestID: String?), PlatformCertificateError>
    {
        let response: HTTPResponse
        switch await download() {
        case .success(let answer): response = answer
        case .failure(let error): return .failure(error)
        }
        let requestID = response.headers.value(for: "Request-ID")
        do throws(PlatformCertificateError) {
            let certificates = try PlatformCertificateDecoder.decode(
                response.body, apiv3Key: settings.apiv3Key, keyFile: settings.apiv3KeyFile, now: Int64(now))
            if let failure = PlatformCertificateDecoder.trustFailure(
                headers: response.headers, body: response.body, now: Date(timeIntervalSince1970: now), held: held,
                downloaded: certificates, publicKey: publicKey)
            {
                return .failure(.untrusted(failure, requestID: requestID))
            }
            return .success((PlatformCertificateSet(certificates), response.body, requestID))
        } catch {
            return .failure(error)
        }
    }

    private func store(_ body: [UInt8]) {
        guard let cacheFile = settings.cacheFile else { return }
        do {
            try Data(body).write(to: URL(fileURLWithPath: cacheFile), options: .atomic)
        } catch {
            logger.warning(
                "certificates.cache_write_failed",
                ["merchant": .string(merchantID), "file": .string(cacheFile), "error": .string("\(error)")])
        }
    }

    /// Held certificates that expire within 10 days of `now`, each reported at most once a day.
    func expiryWarnings(now: Double) {
        let expiring = state.withLock { state -> [(X509Certificate, String?)] in
            let newest = state.held.certificates.first
            var due: [(X509Certificate, String?)] = []
            for certificate in state.held.expiring(at: now) {
                let last = state.lastExpiryWarningAt[certificate.serialNumber] ?? -Double.infinity
                guard now - last >= 86_400 else { continue }
                state.lastExpiryWarningAt[certificate.serialNumber] = now
                let successor = newest.flatMap { $0.notAfter > certificate.notAfter ? $0.serialNumber : nil }
                due.append((certificate, successor))
            }
            return due
        }
        for (certificate, successor) in expiring {
            logger.warning(
                "certificates.expiring",
                [
                    "merchant": .string(merchantID), "serial": .string(certificate.serialNumber),
                    "not_after": .string(PlatformCertificateSet.utc(certificate.notAfter)),
                    "successor": .string(successor ?? "none held yet"),
                    "hint": .string(
                        successor == nil
                            ? "WeChat Pay issues the next certificate about 10 days before; run download-certificates"
                            : "the successor is held and will be used"),
                ])
        }
    }
}
