/// Why a merchant's platform certificates could not be downloaded or loaded, in words that say what to fix.
package enum PlatformCertificateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The AES-256-GCM tag of an entry does not match: the APIv3 key is not the merchant's.
    case wrongAPIv3Key(keyFile: String, serial: String)
    /// 404 from `/v3/certificates`: the merchant has no platform certificates, only a WeChat Pay public key.
    case noCertificates(status: Int, code: String, message: String, requestID: String?)
    /// Another error answer.
    case errorAnswer(status: Int, code: String?, message: String, requestID: String?)
    /// The download got no answer.
    case transport(TransportFailure)
    /// The 2xx answer's signature verified with no certificate held or downloaded.
    case untrusted(VerificationFailure, requestID: String?)
    /// The answer or an entry is not what WeChat Pay sends.
    case malformed(String)
    /// The answer held no certificate valid now: none at all, or only ones that expired or start later.
    case empty(requestID: String?)

    /// A human-readable account, for logs and error messages.
    package var description: String {
        switch self {
        case .wrongAPIv3Key(let keyFile, let serial):
            "wrong APIv3 key: platform certificate \(serial) does not decrypt with the key in \(keyFile) "
                + "(AES-256-GCM tag mismatch); put the merchant's 32-character APIv3 key (账户中心 → API安全) there"
        case .noCertificates(let status, let code, let message, let requestID):
            "the merchant has no platform certificates (\(status) \(code) \(message.debugDescription)"
                + Self.requestIDText(requestID)
                + "); configure wechatpay_public_key_id and wechatpay_public_key_file (the WeChat Pay public key) "
                + "instead of apiv3_key_file alone"
        case .errorAnswer(let status, let code, let message, let requestID):
            "GET /v3/certificates answered \(status) \(code ?? "(no code)") \(message.debugDescription)"
                + Self.requestIDText(requestID)
        case .transport(let failure): "GET /v3/certificates got no answer: \(failure)"
        case .untrusted(let failure, let requestID):
            "the /v3/certificates answer does not verify with any certificate held or downloaded (\(failure))"
                + Self.requestIDText(requestID) + "; the held certificates stay in use"
        case .malformed(let what): "the /v3/certificates answer is malformed: \(what)"
        case .empty(let requestID):
            "the /v3/certificates answer holds no certificate that is valid now (none, or only ones that expired "
                + "or start later: check this machine's clock)" + Self.requestIDText(requestID)
                + "; the held certificates stay in use"
        }
    }

    /// Whether the merchant cannot be served until this is fixed. Not for WeChat Pay out of reach or answering
    /// an error (the first answers retry the download), nor for having no certificates to give when the WeChat Pay
    /// public key is configured too: then the migration is over on WeChat Pay's side and the key verifies.
    package func stopsStart(publicKeyConfigured: Bool) -> Bool {
        switch self {
        case .transport, .errorAnswer: false
        case .noCertificates, .empty: !publicKeyConfigured
        case .wrongAPIv3Key, .untrusted, .malformed: true
        }
    }

    private static func requestIDText(_ requestID: String?) -> String {
        requestID.map { ", Request-ID \($0)" } ?? ""
    }
}
