import COpenSSL

/// A certificate authority made on the spot, for the simulator's TLS and for tests of certificate verification.
///
/// Keys are ECDSA P-256: generated in microseconds, so every test can have its own authority. Two authorities
/// are unrelated, so a second one is the "untrusted issuer" of a test; give it its own common name, or a
/// verifier reports a bad signature instead of an unknown issuer.
///
/// ```swift
/// let authority = try CertificateAuthority(commonName: "watcher test CA")
/// let server = try authority.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
/// ```
package final class CertificateAuthority: @unchecked Sendable {
    // `@unchecked Sendable` is sound because both pointers are `let`s written once in `init` and freed only in
    // `deinit`; `issue` only reads them (the name, the key for signing), and OpenSSL 3
    // allows concurrent read-only use of an X509 and an EVP_PKEY, its lazily cached extension data being locked.
    let certificate: OpaquePointer
    let key: OpaquePointer
    /// The authority's own certificate and key as PEM; the certificate is the file a client trusts.
    package let pem: IssuedCertificate

    /// A self-signed authority valid for `validity`.
    package convenience init(commonName: String, validity: CertificateValidity = .current()) throws(CryptoError) {
        let operation = "creating the certificate authority '\(commonName)'"
        let key = try CertificateBuilder.generateKey(operation)
        let certificate: OpaquePointer
        do throws(CryptoError) {
            certificate = try CertificateBuilder.build(
                operation, commonName: commonName, publicKey: key, validity: validity, issuer: nil,
                extensions: Self.authorityExtensions, signingKey: key)
        } catch {
            EVP_PKEY_free(key)
            throw error
        }
        self.init(certificate: certificate, key: key)
    }

    /// What makes a certificate an authority's: it may sign certificates and revocation lists.
    private static let authorityExtensions: [(Int32, String)] = [
        (NID_basic_constraints, "critical,CA:TRUE"),
        (NID_key_usage, "critical,keyCertSign,cRLSign"),
        (NID_subject_key_identifier, "hash"),
    ]

    /// An authority from a certificate and key it now owns.
    private init(certificate: OpaquePointer, key: OpaquePointer) {
        self.certificate = certificate
        self.key = key
        self.pem = IssuedCertificate(
            certificatePEM: CertificateBuilder.certificatePEM(certificate),
            privateKeyPEM: CertificateBuilder.keyPEM(key))
    }

    /// An intermediate authority signed by this one, with a fresh key: it issues certificates whose chain runs
    /// through it to this authority.
    package func issueIntermediate(commonName: String, validity: CertificateValidity = .current())
        throws(CryptoError) -> CertificateAuthority
    {
        let operation = "issuing the intermediate authority '\(commonName)'"
        let intermediateKey = try CertificateBuilder.generateKey(operation)
        let intermediate: OpaquePointer
        do throws(CryptoError) {
            intermediate = try CertificateBuilder.build(
                operation, commonName: commonName, publicKey: intermediateKey, validity: validity, issuer: certificate,
                extensions: Self.authorityExtensions + [(NID_authority_key_identifier, "keyid:always")],
                signingKey: key)
        } catch {
            EVP_PKEY_free(intermediateKey)
            throw error
        }
        return CertificateAuthority(certificate: intermediate, key: intermediateKey)
    }

    deinit {
        X509_free(certificate)
        EVP_PKEY_free(key)
    }

    /// A server certificate signed by this authority, with a fresh key.
    ///
    /// - Parameters:
    ///   - dnsNames: host names for the subjectAltName, e.g. "localhost"; commas are not allowed.
    ///   - ipAddresses: address literals for the subjectAltName, e.g. "127.0.0.1" or "::1".
    ///   - validity: an expired or not yet valid window makes the certificate a verifier must refuse.
    package func issue(
        commonName: String, dnsNames: [String] = [], ipAddresses: [String] = [],
        validity: CertificateValidity = .current()
    ) throws(CryptoError) -> IssuedCertificate {
        let operation = "issuing a certificate for '\(commonName)'"
        let names = dnsNames.map { "DNS:\($0)" } + ipAddresses.map { "IP:\($0)" }
        guard !names.contains(where: { $0.contains(",") }) else {
            throw CryptoError(operation: operation, reason: "a subjectAltName entry contains a comma: \(names)")
        }
        let leafKey = try CertificateBuilder.generateKey(operation)
        defer { EVP_PKEY_free(leafKey) }
        var extensions: [(Int32, String)] = [
            (NID_basic_constraints, "critical,CA:FALSE"),
            (NID_key_usage, "critical,digitalSignature"),
            (NID_ext_key_usage, "serverAuth"),
            (NID_subject_key_identifier, "hash"),
            (NID_authority_key_identifier, "keyid:always"),
        ]
        if !names.isEmpty { extensions.append((NID_subject_alt_name, names.joined(separator: ","))) }
        let leaf = try CertificateBuilder.build(
            operation, commonName: commonName, publicKey: leafKey, validity: validity, issuer: certificate,
            extensions: extensions, signingKey: key)
        defer { X509_free(leaf) }
        return IssuedCertificate(
            certificatePEM: CertificateBuilder.certificatePEM(leaf), privateKeyPEM: CertificateBuilder.keyPEM(leafKey))
    }
}

/// The OpenSSL calls that make one X.509 v3 certificate.
enum CertificateBuilder {
    static func generateKey(_ operation: String) throws(CryptoError) -> OpaquePointer {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, OpenSSLName.ellipticCurve, nil) else {
            throw CryptoError.openSSL(operation)
        }
        defer { EVP_PKEY_CTX_free(context) }
        var generated: OpaquePointer? = nil
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_CTX_set_group_name(context, OpenSSLName.p256) == 1,
            EVP_PKEY_generate(context, &generated) == 1, let key = generated
        else {
            throw CryptoError.openSSL(operation)
        }
        return key
    }

    /// A signed certificate the caller frees; `issuer` nil means self-signed, `serial` nil a random one.
    static func build(
        _ operation: String, commonName: String, publicKey: OpaquePointer, validity: CertificateValidity,
        issuer: OpaquePointer?, extensions: [(Int32, String)], signingKey: OpaquePointer, serial: [UInt8]? = nil
    ) throws(CryptoError) -> OpaquePointer {
        guard let certificate = X509_new() else { throw CryptoError.openSSL(operation) }
        do throws(CryptoError) {
            try fill(
                certificate, operation, commonName: commonName, publicKey: publicKey, validity: validity,
                issuer: issuer ?? certificate, serial: serial)
            for (nid, value) in extensions {
                try addExtension(certificate, operation, nid: nid, value: value, issuer: issuer ?? certificate)
            }
            guard X509_sign(certificate, signingKey, EVP_sha256()) > 0 else { throw CryptoError.openSSL(operation) }
            return certificate
        } catch {
            X509_free(certificate)
            throw error
        }
    }

    private static func fill(
        _ certificate: OpaquePointer, _ operation: String, commonName: String, publicKey: OpaquePointer,
        validity: CertificateValidity, issuer: OpaquePointer, serial: [UInt8]?
    ) throws(CryptoError) {
        guard let subject = X509_get_subject_name(certificate) else { throw CryptoError.openSSL(operation) }
        let name = Array(commonName.utf8)
        guard X509_set_version(certificate, 2) == 1,  // 2 means v3, the version with extensions
            try setSerial(serial, of: certificate, operation),
            X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, name, Int32(name.count), -1, 0) == 1,
            X509_set_issuer_name(certificate, X509_get_subject_name(issuer)) == 1,
            ASN1_TIME_set(X509_getm_notBefore(certificate), time_t(validity.notBefore)) != nil,
            ASN1_TIME_set(X509_getm_notAfter(certificate), time_t(validity.notAfter)) != nil,
            X509_set_pubkey(certificate, publicKey) == 1
        else {
            throw CryptoError.openSSL(operation)
        }
    }

    /// `chosen`, or 127 random bits: positive, unique in practice, and within the 20 octets a certificate's serial may have.
    private static func setSerial(_ chosen: [UInt8]?, of certificate: OpaquePointer, _ operation: String)
        throws(CryptoError) -> Bool
    {
        var bytes = chosen ?? [UInt8](repeating: 0, count: 16)
        if chosen == nil {
            guard RAND_bytes(&bytes, Int32(bytes.count)) == 1 else { throw CryptoError.openSSL(operation) }
            bytes[0] &= 0x7F
        }
        guard let number = BN_bin2bn(bytes, Int32(bytes.count), nil) else { throw CryptoError.openSSL(operation) }
        defer { BN_free(number) }
        return BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate)) != nil
    }

    private static func addExtension(
        _ certificate: OpaquePointer, _ operation: String, nid: Int32, value: String, issuer: OpaquePointer
    ) throws(CryptoError) {
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer, certificate, nil, nil, 0)
        guard let ext = X509V3_EXT_nconf_nid(nil, &context, nid, value) else {
            throw CryptoError.openSSL("\(operation): extension '\(value)'")
        }
        defer { X509_EXTENSION_free(ext) }
        guard X509_add_ext(certificate, ext, -1) == 1 else { throw CryptoError.openSSL(operation) }
    }

    static func certificatePEM(_ certificate: OpaquePointer) -> String {
        KeyEncoder.pem("a certificate") { PEM_write_bio_X509($0, certificate) }
    }

    static func keyPEM(_ key: OpaquePointer) -> String {
        KeyEncoder.pem("a private key") { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }
    }
}
