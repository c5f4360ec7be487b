import COpenSSL

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the watcher needs from one X.509 certificate (a WeChat Pay platform certificate): its serial, its validity
/// and its RSA public key. Nothing else of it is kept.
package struct X509Certificate: Sendable {
    /// The serial number in uppercase hexadecimal, as OpenSSL writes it (an even number of digits).
    package let serialNumber: String
    /// The first second it is valid, in seconds since 1970 (UTC).
    package let notBefore: Int64
    /// The last second it is valid.
    package let notAfter: Int64
    /// Its subject's RSA public key, at least 2048 bits.
    package let publicKey: RSAPublicKey
    /// The certificate as PEM text, normalised to "\n" line ends: what a cache writes back.
    package let pem: String

    /// Parses the first `-----BEGIN CERTIFICATE-----` block of `pem`. Refuses a certificate whose key is not RSA
    /// of at least 2048 bits; `source` names where the text came from in the error.
    package init(pem: String, source: String = "<memory>") throws(KeyLoadError) {
        guard case .text(let blocks) = PEMFile(Array(pem.utf8)),
            let block = blocks.first(where: { $0.content == .certificate })
        else {
            throw .found(
                PEMContent.classify(Array(pem.utf8)), expected: "an X.509 certificate in PEM", hint: nil, source: source
            )
        }
        let text = block.normalizedText
        let bytes = Array(text.utf8)
        let parsed: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            // BIO_new_mem_buf does not copy: the buffer lives for this closure, and the BIO is freed inside it.
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_X509(bio, nil, nil, nil)
        }
        guard let certificate = parsed else {
            let reason = CryptoError.openSSL("parsing").reason
            throw KeyLoadError(
                source: source, problem: "found an X.509 certificate, but OpenSSL could not parse it (\(reason))")
        }
        defer { X509_free(certificate) }
        guard let serial = Self.serial(of: certificate),
            let notBefore = Self.seconds(X509_get0_notBefore(certificate)),
            let notAfter = Self.seconds(X509_get0_notAfter(certificate))
        else {
            let reason = CryptoError.openSSL("reading").reason
            throw KeyLoadError(
                source: source, problem: "cannot read the certificate's serial number or validity (\(reason))")
        }
        guard let key = X509_get_pubkey(certificate) else {
            throw KeyLoadError(source: source, problem: "the certificate holds no public key OpenSSL can read")
        }
        try RSAKeyPolicy.requireUsableRSA(
            key, found: .certificate, expected: "a certificate for an RSA key of at least 2048 bits", source: source)
        defer { EVP_PKEY_free(key) }
        guard let publicKey = RSAPublicKey(publicHalfOf: key) else {
            throw KeyLoadError(source: source, problem: CryptoError.openSSL("copying the public key").description)
        }
        self.serialNumber = serial
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.publicKey = publicKey
        self.pem = text
    }

    /// True when `seconds` (since 1970, UTC) lies within notBefore…notAfter.
    package func isValid(at seconds: Int64) -> Bool {
        notBefore <= seconds && seconds <= notAfter
    }

    private static func serial(of certificate: OpaquePointer) -> String? {
        guard let integer = X509_get_serialNumber(certificate), let number = ASN1_INTEGER_to_BN(integer, nil) else {
            return nil
        }
        defer { BN_free(number) }
        guard let hex = BN_bn2hex(number) else { return nil }
        // OPENSSL_free is a macro; CRYPTO_free is the function underneath it.
        defer { CRYPTO_free(hex, #fileID, #line) }
        return String(cString: hex).uppercased()
    }

    private static func seconds(_ time: UnsafePointer<ASN1_TIME>?) -> Int64? {
        var parts = tm()
        guard let time, ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        return Int64(timegm(&parts))
    }
}
