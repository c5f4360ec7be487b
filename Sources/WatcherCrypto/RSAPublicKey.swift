import COpenSSL

/// An RSA public key (the WeChat Pay platform public key, or a merchant's for the simulator).
///
/// Every instance is RSA of at least 2048 bits and holds no private half.
package final class RSAPublicKey: @unchecked Sendable {
    // `@unchecked Sendable` is sound because `key` is a `let` written once in `init` and freed only in `deinit`;
    // no method mutates the EVP_PKEY, and OpenSSL 3 allows a key to be used from many
    // threads at once for read-only operations such as verification, as long as each uses its own
    // EVP_MD_CTX, which `isValidSignatureSHA256` copies per call from `verifying`.
    private let key: OpaquePointer
    private let verifying: PreparedDigestContext

    /// Takes ownership of `key`, which must already satisfy `RSAKeyPolicy`.
    private init(owning key: OpaquePointer) {
        self.key = key
        self.verifying = PreparedDigestContext(key: key, operation: .verify)
    }

    deinit {
        EVP_PKEY_free(key)
    }

    /// The public half of a private `EVP_PKEY`, copied through DER so no private material comes along.
    /// Nil only when OpenSSL fails to allocate; the reason is left in its error queue.
    convenience init?(publicHalfOf privateKey: OpaquePointer) {
        guard let der = KeyEncoder.publicKeyDER(privateKey) else { return nil }
        let decoded = der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_PUBKEY(nil, &cursor, buffer.count)
        }
        guard let key = decoded else { return nil }
        self.init(owning: key)
    }

    /// Loads a SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`) or PKCS#1 (`-----BEGIN RSA PUBLIC KEY-----`)
    /// PEM RSA key of at least 2048 bits. A certificate throws an error with the `openssl x509` command
    /// that extracts its key; a private key throws an error saying it must not be used here.
    package convenience init(pem: [UInt8], source: String = "<memory>") throws(KeyLoadError) {
        self.init(owning: try PublicKeyLoader.load(pem, source: source))
    }

    /// Loads a PEM key given as text; see `init(pem:source:)` for `[UInt8]`.
    package convenience init(pem: String, source: String = "<memory>") throws(KeyLoadError) {
        try self.init(pem: Array(pem.utf8), source: source)
    }

    /// The modulus size, e.g. 2048.
    package var bits: Int { Int(EVP_PKEY_get_bits(key)) }

    /// The length in bytes of every valid signature: 256 for RSA-2048.
    package var signatureLength: Int { Int(EVP_PKEY_get_size(key)) }

    /// SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`), the format WeChat Pay publishes.
    package func spkiPEM() -> String {
        KeyEncoder.pem("an RSA public key") { PEM_write_bio_PUBKEY($0, key) }
    }

    /// False for any wrong signature, including one of the wrong length; never traps.
    package func isValidSignatureSHA256(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        // A failed verification leaves reasons in this thread's error queue; they are expected, and left
        // there they would be blamed for the next unrelated failure.
        defer { OpenSSLErrorQueue.clear() }
        guard signature.count == signatureLength, let context = verifying.makeContext() else { return false }
        defer { EVP_MD_CTX_free(context) }
        return EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
    }
}
