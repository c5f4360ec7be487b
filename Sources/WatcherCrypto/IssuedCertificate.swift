/// A certificate and its private key as PEM text: what a TLS server loads, or what a client is told to trust.
package struct IssuedCertificate: Sendable {
    /// `-----BEGIN CERTIFICATE-----`.
    package let certificatePEM: String
    /// PKCS#8 `-----BEGIN PRIVATE KEY-----`.
    package let privateKeyPEM: String

    /// Writes both files; the key gets mode 0600 because it is the secret half, the certificate 0644.
    package func write(certificatePath: String, privateKeyPath: String) throws(CryptoError) {
        try KeyFile.write(certificatePEM, to: certificatePath, mode: 0o644)
        try KeyFile.write(privateKeyPEM, to: privateKeyPath, mode: 0o600)
    }
}
