import COpenSSL

extension CertificateAuthority {
    /// A WeChat Pay platform certificate for the simulator: `key`'s public half with the chosen `serial`
    /// (hexadecimal, at most 40 digits), signed by this authority; returned as PEM.
    package func issuePlatformCertificate(
        for key: RSAPrivateKey, serial: String, validity: CertificateValidity
    ) throws(CryptoError) -> String {
        let operation = "issuing platform certificate \(serial)"
        guard let bytes = Self.bytes(hex: serial), bytes.count <= 20 else {
            throw CryptoError(operation: operation, reason: "the serial must be 1 to 40 hexadecimal digits")
        }
        let certificate = try CertificateBuilder.build(
            operation, commonName: "Tenpay.com platform certificate (simulated)", publicKey: key.key,
            validity: validity, issuer: self.certificate,
            extensions: [(NID_basic_constraints, "critical,CA:FALSE"), (NID_key_usage, "critical,digitalSignature")],
            signingKey: self.key, serial: bytes)
        defer { X509_free(certificate) }
        return CertificateBuilder.certificatePEM(certificate)
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let digits = Array((hex.count % 2 == 1 ? "0" + hex : hex).utf8)
        guard !digits.isEmpty else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(byte)
        }
        return bytes
    }
}
