import Foundation
import WatcherCrypto

/// Why a 2xx answer was not believed. Each case is a clean, counted failure: nothing in the answer is used.
package enum VerificationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// One of the four `Wechatpay-*` headers is absent or empty.
    case missingHeader(String)
    /// `Wechatpay-Signature-Type` names an algorithm other than `WECHATPAY2-SHA256-RSA2048`.
    case unsupportedSignatureType(String)
    /// `Wechatpay-Serial` is not the configured WeChat Pay public key id.
    case unexpectedSerial(found: String, expected: String)
    /// `Wechatpay-Serial` names a platform certificate this merchant does not hold (yet): a refresh may fetch it.
    case unknownCertificateSerial(found: String, held: [String])
    /// The platform certificate the answer names is outside its notBefore…notAfter.
    case certificateNotValid(serial: String, notBefore: Int64, notAfter: Int64)
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
    package var reason: String {
        switch self {
        case .missingHeader: "missing_header"
        case .unsupportedSignatureType: "unsupported_signature_type"
        case .unexpectedSerial: "unexpected_serial"
        case .unknownCertificateSerial: "unknown_certificate_serial"
        case .certificateNotValid: "certificate_not_valid"
        case .malformedTimestamp: "malformed_timestamp"
        case .staleTimestamp: "stale_timestamp"
        case .probeSignature: "signtest_probe"
        case .signatureNotBase64: "signature_not_base64"
        case .signatureWrongLength: "signature_wrong_length"
        case .signatureMismatch: "signature_mismatch"
        }
    }

    /// A human-readable account, for logs and error messages.
    package var description: String {
        switch self {
        case .missingHeader(let name): "header \(name) is missing"
        case .unsupportedSignatureType(let type): "unsupported Wechatpay-Signature-Type \(type)"
        case .unexpectedSerial(let found, let expected):
            "Wechatpay-Serial is \(found) but the configured WeChat Pay public key id is \(expected)"
        case .unknownCertificateSerial(let found, let held):
            "Wechatpay-Serial is \(found), which is no platform certificate held ("
                + (held.isEmpty ? "none held" : "held: " + held.joined(separator: ", ")) + ")"
        case .certificateNotValid(let serial, let notBefore, let notAfter):
            "platform certificate \(serial) is valid only from \(PlatformCertificateSet.utc(notBefore)) "
                + "to \(PlatformCertificateSet.utc(notAfter))"
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

/// The keys answers of one merchant may be signed with: the WeChat Pay public key, platform certificates, or both
/// during the migration from certificates to the public key.
package struct VerificationKeys: Sendable {
    /// The configured public key id (`PUB_KEY_ID_…`) and key; nil in platform-certificate mode.
    package var publicKey: (id: String, key: RSAPublicKey)?
    /// The platform certificates held; nil in public-key mode, where no certificate is ever used.
    package var certificates: PlatformCertificateSet?

    /// Keys from their parts.
    package init(publicKey: (id: String, key: RSAPublicKey)?, certificates: PlatformCertificateSet?) {
        self.publicKey = publicKey
        self.certificates = certificates
    }

    /// The key `serial` names: `PUB_KEY_ID_…` the public key, anything else a platform certificate; with the
    /// name it goes by (the public key id, or the certificate's own serial however the answer spelled it).
    func key(for serial: String, now: Int64) -> Result<(key: RSAPublicKey, name: String), VerificationFailure> {
        if let publicKey, serial == publicKey.id { return .success((publicKey.key, publicKey.id)) }
        guard let certificates, !serial.hasPrefix("PUB_KEY_ID_") else {
            return .failure(
                .unexpectedSerial(found: serial, expected: publicKey?.id ?? "none (platform-certificate mode)"))
        }
        guard let certificate = certificates.certificate(serial: serial) else {
            return .failure(.unknownCertificateSerial(found: serial, held: certificates.serials))
        }
        guard certificate.isValid(at: now) else {
            return .failure(
                .certificateNotValid(
                    serial: certificate.serialNumber, notBefore: certificate.notBefore, notAfter: certificate.notAfter))
        }
        return .success((certificate.publicKey, certificate.serialNumber))
    }
}

/// Checks that a 2xx answer really comes from WeChat Pay before anything in it is believed.
package struct ResponseVerifier: Sendable {
    /// The keys answers may be signed with.
    package let keys: VerificationKeys
    /// Answers whose timestamp is this many seconds or more away from now are refused (all SDKs use 300).
    package let maximumSkewSeconds: Int64

    /// Creates a verifier for one merchant's configured WeChat Pay public key.
    package init(publicKeyID: String, publicKey: RSAPublicKey, maximumSkewSeconds: Int64 = 300) {
        self.init(keys: VerificationKeys(publicKey: (publicKeyID, publicKey), certificates: nil))
    }

    /// Creates a verifier for any mix of public key and platform certificates.
    package init(keys: VerificationKeys, maximumSkewSeconds: Int64 = 300) {
        self.keys = keys
        self.maximumSkewSeconds = maximumSkewSeconds
    }

    /// Verifies headers and raw body against the clock; returns nil when the answer is authentic.
    package func failure(headers: [HTTPHeader], body: [UInt8], now: Date) -> VerificationFailure? {
        if case .failure(let failure) = verify(headers: headers, body: body, now: now) { return failure }
        return nil
    }

    /// Verifies headers and raw body against the clock; on success, the serial of the key that verified it
    /// (the public key id or the certificate's serial as the certificate spells it).
    ///
    /// The checks run from cheapest to dearest, and the RSA operation runs last, over the raw bytes as received.
    package func verify(headers: [HTTPHeader], body: [UInt8], now: Date) -> Result<String, VerificationFailure> {
        let names = ["Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial"]
        var values: [String] = []
        for name in names {
            guard let value = headers.value(for: name), !value.isEmpty else { return .failure(.missingHeader(name)) }
            values.append(value)
        }
        let (timestamp, nonce, signature, serial) = (values[0], values[1], values[2], values[3])
        if let type = headers.value(for: "Wechatpay-Signature-Type"), type != wechatpaySignatureScheme {
            return .failure(.unsupportedSignatureType(type))
        }
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        let (publicKey, keyName): (RSAPublicKey, String)
        switch keys.key(for: serial, now: nowSeconds) {
        case .success(let found): (publicKey, keyName) = found
        case .failure(let failure): return .failure(failure)
        }
        guard timestamp.utf8.count <= 18, timestamp.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let seconds = Int64(timestamp)
        else { return .failure(.malformedTimestamp(timestamp)) }
        let skew = nowSeconds - seconds
        guard abs(skew) < maximumSkewSeconds else {
            return .failure(.staleTimestamp(timestamp: seconds, skewSeconds: skew))
        }
        if signature.hasPrefix("WECHATPAY/SIGNTEST/") { return .failure(.probeSignature) }
        guard let signatureBytes = StrictBase64.decode(signature) else { return .failure(.signatureNotBase64) }
        guard signatureBytes.count == publicKey.signatureLength else {
            return .failure(.signatureWrongLength(found: signatureBytes.count, expected: publicKey.signatureLength))
        }
        let message = SignatureMessage.response(timestamp: timestamp, nonce: nonce, body: body)
        guard publicKey.isValidSignatureSHA256(signatureBytes, for: message) else {
            return .failure(.signatureMismatch)
        }
        return .success(keyName)
    }
}
