/// The certificate a TLS server presents and the key that proves it owns it, both as PEM text.
package struct ServerTLSConfiguration: Sendable {
    /// The server's certificate first, then any intermediates, each `-----BEGIN CERTIFICATE-----`.
    package var certificateChainPEM: String
    /// The server certificate's private key (PKCS#8 or the traditional form).
    package var privateKeyPEM: String

    /// Both texts as read from the files, e.g. `simulate --tls` writes.
    package init(certificateChainPEM: String, privateKeyPEM: String) {
        self.certificateChainPEM = certificateChainPEM
        self.privateKeyPEM = privateKeyPEM
    }
}
