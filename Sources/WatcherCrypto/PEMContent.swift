/// What a key file actually holds, told apart by PEM labels and raw bytes alone.
///
/// Classification never calls OpenSSL, so it names what a file is even when OpenSSL cannot parse it;
/// that is what turns "decoder routines::unsupported" into "found an X.509 certificate".
package enum PEMContent: Sendable, Equatable, CustomStringConvertible {
    /// `-----BEGIN PRIVATE KEY-----`: PKCS#8, what the WeChat Pay merchant platform hands out.
    case pkcs8PrivateKey
    /// `-----BEGIN RSA PRIVATE KEY-----` without encryption headers: PKCS#1, common after conversions.
    case pkcs1RSAPrivateKey
    /// `-----BEGIN ENCRYPTED PRIVATE KEY-----`, or PKCS#1 with a `Proc-Type: 4,ENCRYPTED` header.
    case encryptedPrivateKey
    /// `-----BEGIN EC PRIVATE KEY-----`: an elliptic-curve key, which cannot sign WECHATPAY2-SHA256-RSA2048.
    case ecPrivateKey
    /// `-----BEGIN PUBLIC KEY-----`: SubjectPublicKeyInfo, how WeChat Pay publishes its public key.
    case publicKey
    /// `-----BEGIN RSA PUBLIC KEY-----`: a PKCS#1 RSA public key.
    case pkcs1RSAPublicKey
    /// `-----BEGIN CERTIFICATE-----`: an X.509 certificate, which holds a public key but is not one.
    case certificate
    /// Any other `-----BEGIN …-----` label.
    case otherPEM(label: String)
    /// Zero bytes, or only whitespace.
    case empty
    /// Not text: a DER file or a PKCS#12 (.p12/.pfx) bundle.
    case binary
    /// Text without any PEM block.
    case text

    /// Classifies `bytes` by their first PEM block. The key loaders look past it: an `openssl pkcs12 -nodes`
    /// dump starts with a certificate and still holds a usable key.
    package static func classify(_ bytes: [UInt8]) -> PEMContent {
        switch PEMFile(bytes) {
        case .empty: return .empty
        case .binary: return .binary
        case .text(let blocks): return blocks.first?.content ?? .text
        }
    }

    /// What was found, in words for an error message: "a PKCS#8 private key", "an X.509 certificate", …
    package var description: String {
        switch self {
        case .pkcs8PrivateKey: return "a PKCS#8 private key"
        case .pkcs1RSAPrivateKey: return "a PKCS#1 RSA private key"
        case .encryptedPrivateKey: return "an encrypted (password-protected) private key"
        case .ecPrivateKey: return "an EC private key"
        case .publicKey: return "a public key"
        case .pkcs1RSAPublicKey: return "a PKCS#1 RSA public key"
        case .certificate: return "an X.509 certificate"
        case .otherPEM(let label): return "a PEM block labelled \"\(label)\""
        case .empty: return "nothing (empty, or only whitespace)"
        case .binary: return "binary data (a DER file or a PKCS#12 .p12 bundle?)"
        case .text: return "text without any -----BEGIN …----- PEM block"
        }
    }

    /// A private key of any kind, usable or not; a file that holds one is about signing.
    var isPrivateKey: Bool {
        switch self {
        case .pkcs8PrivateKey, .pkcs1RSAPrivateKey, .encryptedPrivateKey, .ecPrivateKey: return true
        default: return false
        }
    }

    /// A bare public key, as opposed to a certificate that carries one.
    var isPublicKey: Bool {
        self == .publicKey || self == .pkcs1RSAPublicKey
    }
}
