import Foundation
import WatcherCrypto

/// Why a 2xx answer was not believed. Each case is a clean, counted failure: nothing in the answer is used.
public enum VerificationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// One of the four `Wechatpay-*` headers is absent or empty.
    case missingHeader(String)
    /// `Wechatpay-Signature-Type` names an algorithm other than `WECHATPAY2-SHA256-RSA2048`.
    case unsupportedSignatureType(String)
    /// `Wechatpay-Serial` is not the configured WeChat Pay public key id.
    case unexpectedSerial(found: String, expected: String)
    /// `Wechatpay-Timestamp` is not a decimal number of seconds.
    case malformedTimestamp(String)
    /// The answer was signed too long ago or in the future: a replay, or a wrong clock on one side.
    case staleTimestamp(timestamp: Int64, skewSeconds: Int64)
    /// WeChat Pay's probe (`WECHATPAY/SIGNTEST/…`), sent to check that clients really verify.
    case probeSignature
    /// The signature is not strict standard Base64.
    case signatureNotBase64
    /// The decoded signature has the wrong number of bytes for the key.
    case signatureWrongLength(found: Int, expected: Int)
    /// The signature does not match the body: tampered, or signed with another key.
    case signatureMismatch

    /// A short stable name for metrics and log fields.
    public var reason: String {
        switch self {
        case .missingHeader: "missing_header"
        case .unsupportedSignatureType: "unsupported_signature_type"
        case .unexpectedSerial: "unexpected_serial"
        case .malformedTimestamp: "malformed_timestamp"
        case .staleTimestamp: "stale_timestamp"
        case .probeSignature: "signtest_probe"
        case .signatureNotBase64: "signature_not_base64"
        case .signatureWrongLength: "signature_wrong_length"
        case .signatureMismatch: "signature_mismatch"
        }
    }

    /// A human-readable account, for logs and error messages.
    public var description: String {
        switch self {
        case .missingHeader(let name): "header \(name) is missing"
        case .unsupportedSignatureType(let type): "unsupported Wechatpay-Signature-Type \(type)"
        case .unexpectedSerial(let found, let expected):
            "Wechatpay-Serial is \(found) but the configured WeChat Pay public key id is \(expected)"
        case .malformedTimestamp(let value): "Wechatpay-Timestamp \(value.debugDescription) is not a number"
        case .staleTimestamp(let timestamp, let skew):
            "Wechatpay-Timestamp \(timestamp) is \(skew) s away from this machine's clock (limit 300 s)"
        case .probeSignature: "signature is a WECHATPAY/SIGNTEST/ probe"
        case .signatureNotBase64: "Wechatpay-Signature is not valid Base64"
        case .signatureWrongLength(let found, let expected):
            "Wechatpay-Signature decodes to \(found) bytes; the key expects \(expected)"
        case .signatureMismatch: "Wechatpay-Signature does not match the body"
        }
    }
}

/// Checks that a 2xx answer really comes from WeChat Pay before anything in it is believed.
public struct ResponseVerifier: Sendable {
    /// The configured WeChat Pay public key id (`PUB_KEY_ID_…`).
    public let publicKeyID: String
    private let publicKey: RSAPublicKey
    /// Answers whose timestamp is this many seconds or more away from now are refused (all SDKs use 300).
    public let maximumSkewSeconds: Int64

    /// Creates a verifier for one merchant's configured WeChat Pay public key.
    public init(publicKeyID: String, publicKey: RSAPublicKey, maximumSkewSeconds: Int64 = 300) {
        self.publicKeyID = publicKeyID
        self.publicKey = publicKey
        self.maximumSkewSeconds = maximumSkewSeconds
    }

    /// Verifies headers and raw body against the clock; returns nil when the answer is authentic.
    ///
    /// The checks run from cheapest to dearest, and the RSA operation runs last, over the raw bytes as received.
    public func failure(headers: [HTTPHeader], body: [UInt8], now: Date) -> VerificationFailure? {
        let names = ["Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial"]
        var values: [String] = []
        for name in names {
            guard let value = headers.value(for: name), !value.isEmpty else { return .missingHeader(name) }
            values.append(value)
        }
        let (timestamp, nonce, signature, serial) = (values[0], values[1], values[2], values[3])
        if let type = headers.value(for: "Wechatpay-Signature-Type"), type != wechatpaySignatureScheme {
            return .unsupportedSignatureType(type)
        }
        guard serial == publicKeyID else { return .unexpectedSerial(found: serial, expected: publicKeyID) }
        guard timestamp.utf8.count <= 18, timestamp.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let seconds = Int64(timestamp)
        else { return .malformedTimestamp(timestamp) }
        let skew = Int64(now.timeIntervalSince1970.rounded(.down)) - seconds
        guard abs(skew) < maximumSkewSeconds else { return .staleTimestamp(timestamp: seconds, skewSeconds: skew) }
        if signature.hasPrefix("WECHATPAY/SIGNTEST/") { return .probeSignature }
        guard let signatureBytes = StrictBase64.decode(signature) else { return .signatureNotBase64 }
        guard signatureBytes.count == publicKey.signatureLength else {
            return .signatureWrongLength(found: signatureBytes.count, expected: publicKey.signatureLength)
        }
        let message = SignatureMessage.response(timestamp: timestamp, nonce: nonce, body: body)
        guard publicKey.isValidSignatureSHA256(signatureBytes, for: message) else { return .signatureMismatch }
        return nil
    }
}
