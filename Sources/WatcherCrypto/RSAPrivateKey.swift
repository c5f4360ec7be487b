import COpenSSL

/// An RSA private key (merchant API key). Immutable; safe to share across threads.
///
/// Every instance is RSA of at least 2048 bits: loading and generation refuse anything else, so code
/// that holds one never has to ask.
package final class RSAPrivateKey: @unchecked Sendable {
    // `@unchecked Sendable` is sound because `key` is a `let` written once in `init` and freed only in `deinit`;
    // no method mutates the EVP_PKEY, and OpenSSL 3 allows a key to be used from many
    // threads at once for read-only operations such as signing, as long as each uses its own EVP_MD_CTX,
    // which `signSHA256` copies per call from `signing`.
    let key: OpaquePointer
    /// The public half, for verifying what this key signed (the simulator signs as the merchant does).
    package let publicKey: RSAPublicKey
    private let signing: PreparedDigestContext

    /// Takes ownership of `key`, which must already satisfy `RSAKeyPolicy`.
    private init(owning key: OpaquePointer, publicKey: RSAPublicKey) {
        self.key = key
        self.publicKey = publicKey
        self.signing = PreparedDigestContext(key: key, operation: .sign)
    }

    deinit {
        EVP_PKEY_free(key)
    }

    /// Loads a PKCS#8 or PKCS#1 PEM RSA key of at least 2048 bits. Anything else (a certificate, a
    /// public key, an encrypted key, an EC key, a .p12 bundle, garbage) throws an error that names what
    /// was found, what is expected and, where one exists, the `openssl` command that converts it.
    package convenience init(pem: [UInt8], source: String = "<memory>") throws(KeyLoadError) {
        let key = try PrivateKeyLoader.load(pem, source: source)
        guard let publicKey = RSAPublicKey(publicHalfOf: key) else {
            EVP_PKEY_free(key)
            let error = CryptoError.openSSL("deriving the public key")
            throw KeyLoadError(source: source, problem: error.description)
        }
        self.init(owning: key, publicKey: publicKey)
    }

    /// Loads a PEM key given as text; see `init(pem:source:)` for `[UInt8]`.
    package convenience init(pem: String, source: String = "<memory>") throws(KeyLoadError) {
        try self.init(pem: Array(pem.utf8), source: source)
    }

    /// A fresh key from OpenSSL's CSPRNG, for tests, the simulator and key set-up. Refuses fewer than
    /// 2048 bits so that a generated key is as usable as a loaded one.
    package static func generate(bits: Int = 2048) throws(CryptoError) -> RSAPrivateKey {
        let operation = "generating a \(bits)-bit RSA key"
        guard bits >= RSAKeyPolicy.minimumBits else {
            throw CryptoError(operation: operation, reason: "keys must have at least \(RSAKeyPolicy.minimumBits) bits")
        }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, OpenSSLName.rsa, nil) else {
            throw CryptoError.openSSL(operation)
        }
        defer { EVP_PKEY_CTX_free(context) }
        var generated: OpaquePointer? = nil
        guard EVP_PKEY_keygen_init(context) == 1,
            EVP_PKEY_CTX_set_rsa_keygen_bits(context, Int32(clamping: bits)) == 1,
            EVP_PKEY_generate(context, &generated) == 1, let key = generated
        else {
            throw CryptoError.openSSL(operation)
        }
        guard let publicKey = RSAPublicKey(publicHalfOf: key) else {
            EVP_PKEY_free(key)
            throw CryptoError.openSSL("deriving the public key of a generated key")
        }
        return RSAPrivateKey(owning: key, publicKey: publicKey)
    }

    /// The modulus size, e.g. 2048.
    package var bits: Int { Int(EVP_PKEY_get_bits(key)) }

    /// PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), the format the merchant platform issues.
    package func pkcs8PEM() -> String {
        KeyEncoder.pem("an RSA private key") { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }
    }

    /// PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`), for tools that predate PKCS#8.
    package func pkcs1PEM() -> String {
        KeyEncoder.pem("an RSA private key") { PEM_write_bio_PrivateKey_traditional($0, key, nil, nil, 0, nil, nil) }
    }

    /// RSASSA-PKCS1-v1_5 over SHA-256 (what `openssl dgst -sha256 -sign` produces).
    package func signSHA256(_ message: [UInt8]) throws(CryptoError) -> [UInt8] {
        let operation = "signing with a \(bits)-bit RSA key"
        guard let context = signing.makeContext() else { throw CryptoError.openSSL(operation) }
        defer { EVP_MD_CTX_free(context) }
        var signature = [UInt8](repeating: 0, count: Int(EVP_PKEY_get_size(key)))
        var length = signature.count
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else {
            throw CryptoError.openSSL(operation)
        }
        return Array(signature.prefix(length))
    }
}
