import Foundation
import LoopbackHTTPServer
import WatcherCrypto
import WatcherSync
import WeChatPay

/// Checks request signatures the way WeChat Pay does: known merchant, matching certificate serial, fresh
/// timestamp, unused nonce, and a valid RSA-SHA256 signature over the request exactly as received.
final class RequestAuthenticator: Sendable {
    private let merchants: [String: SimulatedMerchant]
    private let seenNonces = Locked<[String: Double]>([:])

    init(merchants: [SimulatedMerchant]) {
        self.merchants = Dictionary(merchants.map { ($0.mchid, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The authenticated merchant, or the reason for a 401 `SIGN_ERROR`.
    func authenticate(_ request: HTTPServerRequest, now: Date) -> Result<String, SimulatorRefusal> {
        guard let header = request.header("Authorization") else {
            return .failure(.signError("Authorization header is missing"))
        }
        guard let fields = AuthorizationHeader.parse(header) else {
            return .failure(.signError("Authorization header is not WECHATPAY2-SHA256-RSA2048 with all five fields"))
        }
        guard let merchant = merchants[fields.mchid] else {
            return .failure(.signError("unknown mchid \(fields.mchid)"))
        }
        guard fields.serial.caseInsensitiveCompare(merchant.certificateSerial) == .orderedSame else {
            return .failure(.signError("serial_no \(fields.serial) is not the merchant's certificate"))
        }
        guard let timestamp = Int64(fields.timestamp), abs(Int64(now.timeIntervalSince1970) - timestamp) < 300 else {
            return .failure(.signError("timestamp \(fields.timestamp) is not within 300 s of now"))
        }
        guard !fields.nonce.isEmpty, fields.nonce.count <= 64 else {
            return .failure(.signError("nonce_str is invalid"))
        }
        let message = SignatureMessage.request(
            method: request.method,
            canonicalURL: request.target,
            timestamp: fields.timestamp,
            nonce: fields.nonce,
            body: String(decoding: request.body, as: UTF8.self)
        )
        guard let signature = StrictBase64.decode(fields.signature),
            merchant.publicKey.isValidSignatureSHA256(signature, for: Array(message.utf8))
        else { return .failure(.signError("signature does not verify with the merchant's public key")) }
        guard remember(nonce: fields.nonce, of: merchant.mchid, at: now.timeIntervalSince1970) else {
            var refusal = SimulatorRefusal.signError("nonce_str was already used")
            refusal.isReplay = true
            return .failure(refusal)
        }
        return .success(merchant.mchid)
    }

    /// Records a nonce; false if it was seen in the last five minutes (a replay).
    private func remember(nonce: String, of mchid: String, at now: Double) -> Bool {
        seenNonces.withLock { seen in
            let key = mchid + ":" + nonce
            if let when = seen[key], now - when < 300 { return false }
            seen[key] = now
            if seen.count > 200_000 { seen = seen.filter { now - $0.value < 300 } }
            return true
        }
    }
}

/// Why the simulator refuses a request, as a WeChat Pay error answer.
struct SimulatorRefusal: Error {
    var status: Int
    var code: String
    var message: String
    /// A request whose nonce was seen before: what a client that re-sends signed bytes causes.
    var isReplay = false

    static func signError(_ message: String) -> SimulatorRefusal {
        SimulatorRefusal(status: 401, code: "SIGN_ERROR", message: message)
    }

    static func paramError(_ message: String) -> SimulatorRefusal {
        SimulatorRefusal(status: 400, code: "PARAM_ERROR", message: message)
    }
}
