import Foundation
import LoopbackHTTPServer
import WatcherCrypto

/// A merchant the simulator knows: it verifies the merchant's request signatures with its public key.
package struct SimulatedMerchant: Sendable {
    /// The merchant id.
    package var mchid: String
    /// The merchant API certificate serial the requests must name.
    package var certificateSerial: String
    /// The merchant's public key.
    package var publicKey: RSAPublicKey
    /// The APIv3 key `/v3/certificates` is encrypted with; nil for a merchant with only a public key (404).
    package var apiv3Key: [UInt8]?

    /// Creates a merchant.
    package init(mchid: String, certificateSerial: String, publicKey: RSAPublicKey, apiv3Key: [UInt8]? = nil) {
        self.mchid = mchid
        self.certificateSerial = certificateSerial
        self.publicKey = publicKey
        self.apiv3Key = apiv3Key
    }
}

/// Everything that decides how the simulator behaves.
package struct SimulatorConfiguration: Sendable {
    /// The WeChat Pay platform key that signs answers.
    package var platformKey: RSAPrivateKey
    /// Its id, sent as `Wechatpay-Serial`.
    package var platformKeyID: String
    /// The merchants that may call.
    package var merchants: [SimulatedMerchant]
    /// Requests per second allowed per merchant and API; more get 429 `FREQUENCY_LIMITED`.
    package var requestsPerSecond: Int
    /// Seeds every random choice.
    package var seed: UInt64
    /// Resources queried but never registered are created on first sight (true) or answered 404 (false).
    package var createUnknownResources: Bool
    /// Durations of resources created on first sight.
    package var durations: DurationModel
    /// Share of resources created on first sight that end in failure (`FAIL`, `DEACTIVATED`).
    package var failureRate: Double
    /// Brands whose requests get 403 `NO_AUTH`.
    package var unauthorizedBrands: Set<String>
    /// Fault probabilities per request.
    package var faults: FaultPlan
    /// Platform certificates announced on `/v3/certificates` (none: every merchant gets 404 there).
    package var platformCertificates: [SimulatedPlatformCertificate] = []
    /// Which key signs answers at start; ``WeChatPaySimulator/platform`` changes it later.
    package var answerSigning: AnswerSigning = .publicKey
    /// The certificate to serve HTTPS with; nil for plain HTTP.
    package var tls: ServerTLSConfiguration?
    /// Share of answers, 0…1, whose bodies are sent chunked instead of with `Content-Length`, spread evenly
    /// over the answers so both framings meet the client's parser.
    package var chunkedShare: Double
    /// How long a connection may sit idle before the simulator closes it: WeChat Pay's `Keep-Alive: timeout=8`.
    package var idleTimeout: Duration

    /// Creates a configuration with sensible defaults for a demo.
    package init(
        platformKey: RSAPrivateKey,
        platformKeyID: String,
        merchants: [SimulatedMerchant],
        requestsPerSecond: Int = 20,
        seed: UInt64 = 1,
        createUnknownResources: Bool = true,
        durations: DurationModel = .lognormal(offset: 2, median: 6, sigma: 0.6),
        failureRate: Double = 0.1,
        unauthorizedBrands: Set<String> = [],
        faults: FaultPlan = FaultPlan(),
        tls: ServerTLSConfiguration? = nil,
        chunkedShare: Double = 0,
        idleTimeout: Duration = .seconds(8)
    ) {
        self.platformKey = platformKey
        self.platformKeyID = platformKeyID
        self.merchants = merchants
        self.requestsPerSecond = requestsPerSecond
        self.seed = seed
        self.createUnknownResources = createUnknownResources
        self.durations = durations
        self.failureRate = failureRate
        self.unauthorizedBrands = unauthorizedBrands
        self.faults = faults
        self.tls = tls
        self.chunkedShare = chunkedShare
        self.idleTimeout = idleTimeout
    }
}

/// A misbehaviour the simulator can inject into an answer, to prove the client survives it.
package enum Fault: String, Sendable, CaseIterable, Codable {
    /// 500 `SYSTEM_ERROR`.
    case serverError = "server_error"
    /// 503 `SERVICE_UNAVAILABLE`.
    case serviceUnavailable = "service_unavailable"
    /// 429 `FREQUENCY_LIMITED` although the budget was respected (the merchant's other systems share it).
    case throttled
    /// The connection is reset before any answer.
    case connectionReset = "connection_reset"
    /// Headers and half the body, then a reset.
    case resetMidBody = "reset_mid_body"
    /// The answer arrives after a delay (`slowAnswerSeconds`).
    case slowAnswer = "slow_answer"
    /// The answer trickles in a few bytes at a time.
    case trickle
    /// No answer ever.
    case hang
    /// A random signature of the right length.
    case badSignature = "bad_signature"
    /// WeChat Pay's `WECHATPAY/SIGNTEST/` probe signature.
    case signtestProbe = "signtest_probe"
    /// Correctly signed, but with a timestamp ten minutes old.
    case staleTimestamp = "stale_timestamp"
    /// Signed, then the body changed (a forged state and URL).
    case tamperedBody = "tampered_body"
    /// Not JSON, correctly signed.
    case malformedJSON = "malformed_json"
    /// A correctly signed answer about another resource.
    case otherResource = "other_resource"
    /// The `Wechatpay-Signature` header left out.
    case missingSignatureHeaders = "missing_signature_headers"
    /// Signed with the platform key but naming another key id.
    case wrongSerial = "wrong_serial"
    /// A correctly signed body of 2 MiB.
    case oversizedBody = "oversized_body"
}

/// Per-request probabilities of each fault. At most one fault per request.
package struct FaultPlan: Sendable, Equatable {
    /// Probability of each fault, 0…1; the sum should stay below 1.
    package var probabilities: [Fault: Double]
    /// How long a slow answer takes.
    package var slowAnswerSeconds: Double

    /// Creates a plan; the default injects nothing.
    package init(probabilities: [Fault: Double] = [:], slowAnswerSeconds: Double = 1.5) {
        self.probabilities = probabilities
        self.slowAnswerSeconds = slowAnswerSeconds
    }

    /// Picks the fault for one request from a uniform draw in [0, 1), or nil.
    func pick(_ draw: Double) -> Fault? {
        var cumulative = 0.0
        for fault in Fault.allCases {
            cumulative += probabilities[fault] ?? 0
            if draw < cumulative { return fault }
        }
        return nil
    }
}
