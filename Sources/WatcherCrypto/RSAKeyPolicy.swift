import COpenSSL
import WatcherPOSIX

/// What every key in this module must be, and the words used when one is not.
enum RSAKeyPolicy {
    /// WECHATPAY2-SHA256-RSA2048 names the size; anything smaller is also breakable.
    static let minimumBits = 2048

    static let expectedPrivateKey =
        "an RSA private key in PEM: PKCS#8 (-----BEGIN PRIVATE KEY-----) or PKCS#1 (-----BEGIN RSA PRIVATE KEY-----)"

    static let expectedPublicKey =
        "an RSA public key in PEM: SubjectPublicKeyInfo (-----BEGIN PUBLIC KEY-----) "
        + "or PKCS#1 (-----BEGIN RSA PUBLIC KEY-----)"

    /// Throws unless the decoded `key` is RSA of at least `minimumBits`; frees `key` when it throws,
    /// so callers own it only on success.
    static func requireUsableRSA(
        _ key: OpaquePointer,
        found: PEMContent,
        expected: String,
        source: String
    ) throws(KeyLoadError) {
        guard EVP_PKEY_is_a(key, OpenSSLName.rsa) == 1 else {
            let type = EVP_PKEY_get0_type_name(key).map { String(cString: $0) } ?? "unknown"
            EVP_PKEY_free(key)
            throw KeyLoadError(
                source: source,
                problem: "found \(found) holding a key of type \(type); expected \(expected)"
            )
        }
        let bits = Int(EVP_PKEY_get_bits(key))
        guard bits >= minimumBits else {
            EVP_PKEY_free(key)
            throw KeyLoadError(
                source: source,
                problem: "found a \(bits)-bit RSA key; expected at least \(minimumBits) bits "
                    + "(WeChat Pay signs with RSA-2048)"
            )
        }
    }

    /// How to name the file in a suggested command: shell-quoted when it is a path, "FILE" otherwise.
    static func commandArgument(for source: String) -> String {
        source == KeyLoadError.memorySource ? "FILE" : ShellQuoting.quoted(source)
    }
}

extension KeyLoadError {
    /// The `source` of a key that was not read from a file.
    static let memorySource = "<memory>"

    /// "found X; expected Y" plus an optional hint, the shape of every format problem.
    static func found(
        _ content: PEMContent,
        expected: String,
        hint: String? = nil,
        source: String
    ) -> KeyLoadError {
        let problem = "found \(content); expected \(expected)"
        return KeyLoadError(source: source, problem: hint.map { "\(problem); \($0)" } ?? problem)
    }
}
