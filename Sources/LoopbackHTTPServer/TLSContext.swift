import COpenSSL
import WatcherCrypto

/// The server's OpenSSL context: TLS 1.2 or newer, its certificate chain and key, shared by every connection.
final class TLSContext: @unchecked Sendable {
    // `@unchecked Sendable` is sound because `context` is configured completely in `init` and only read after
    // (SSL_new), which OpenSSL 3 allows from many threads at once; `deinit` frees it.
    let context: OpaquePointer

    init(_ configuration: ServerTLSConfiguration) throws(HTTPServerError) {
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw Self.failure("creating a TLS context") }
        self.context = context
        guard SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil) == 1 else {
            throw Self.failure("requiring TLS 1.2")
        }
        try loadChain(configuration.certificateChainPEM)
        try loadKey(configuration.privateKeyPEM)
    }

    deinit {
        SSL_CTX_free(context)
    }

    /// The first certificate is the server's own; the rest are sent after it as its chain.
    private func loadChain(_ pem: String) throws(HTTPServerError) {
        let operation = "loading the TLS certificate chain"
        let loaded = Self.withMemoryBIO(pem) { bio -> Bool in
            guard let leaf = PEM_read_bio_X509(bio, nil, nil, nil) else { return false }
            defer { X509_free(leaf) }
            guard SSL_CTX_use_certificate(context, leaf) == 1 else { return false }
            while let intermediate = PEM_read_bio_X509(bio, nil, nil, nil) {
                // add0: the context takes ownership of the certificate.
                guard SSL_CTX_ctrl(context, SSL_CTRL_CHAIN_CERT, 0, UnsafeMutableRawPointer(intermediate)) == 1 else {
                    X509_free(intermediate)
                    return false
                }
            }
            // Reading past the last certificate leaves a "no start line" error that is no failure.
            OpenSSLErrorQueue.clear()
            return true
        }
        guard loaded else { throw Self.failure(operation) }
    }

    private func loadKey(_ pem: String) throws(HTTPServerError) {
        let loaded = Self.withMemoryBIO(pem) { bio -> Bool in
            guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else { return false }
            defer { EVP_PKEY_free(key) }
            return SSL_CTX_use_PrivateKey(context, key) == 1 && SSL_CTX_check_private_key(context) == 1
        }
        guard loaded else { throw Self.failure("loading the TLS private key") }
    }

    /// A read-only BIO over `text`, valid only inside `body` because it borrows the bytes.
    private static func withMemoryBIO(_ text: String, _ body: (OpaquePointer) -> Bool) -> Bool {
        Array(text.utf8).withUnsafeBytes { bytes in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { return false }
            defer { BIO_free(bio) }
            return body(bio)
        }
    }

    private static func failure(_ operation: String) -> HTTPServerError {
        .refused(operation, because: OpenSSLErrorQueue.drain())
    }
}
