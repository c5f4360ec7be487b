import COpenSSL
import Glibc
import WatcherCrypto

/// A blocking TLS client on libssl that trusts exactly one authority, for tests of the server's TLS side.
final class TLSTestClient {
    private let connection: TestClient
    private let context: OpaquePointer
    private let ssl: OpaquePointer

    /// Connects over TCP; `handshake()` starts TLS. Reads give up after 5 s so a silent server fails the test.
    convenience init(port: UInt16, trusting authorityPEM: String, host: String = "localhost") throws {
        try self.init(over: try TestClient(port: port), trusting: authorityPEM, host: host)
    }

    /// TLS over a connection already open, e.g. a proxy's tunnel.
    init(over connection: TestClient, trusting authorityPEM: String, host: String = "localhost") throws {
        self.connection = connection
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(
            connection.descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        context = SSL_CTX_new(TLS_client_method())!
        ssl = SSL_new(context)!
        let authority = Array(authorityPEM.utf8).withUnsafeBytes { bytes in
            let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count))
            defer { BIO_free(bio) }
            return PEM_read_bio_X509(bio, nil, nil, nil)
        }
        X509_STORE_add_cert(SSL_CTX_get_cert_store(context), authority)
        X509_free(authority)
        SSL_set_verify(ssl, SSL_VERIFY_PEER, nil)
        SSL_set1_host(ssl, host)
        SSL_set_fd(ssl, connection.descriptor)
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    /// Nil when the handshake succeeded; otherwise OpenSSL's reason, e.g. "certificate verify failed".
    func handshake() -> String? {
        SSL_connect(ssl) == 1 ? nil : OpenSSLErrorQueue.drain()
    }

    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var written = 0
        return SSL_write_ex(ssl, bytes, bytes.count, &written) == 1 && written == bytes.count
    }

    /// Everything the server sends until it closes the connection.
    func readToEnd() -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        var count = 0
        while SSL_read_ex(ssl, &buffer, buffer.count, &count) == 1 {
            received += buffer[..<count]
        }
        OpenSSLErrorQueue.clear()
        return String(decoding: received, as: UTF8.self)
    }
}
