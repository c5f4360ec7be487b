import COpenSSL
import Foundation

/// Why the TLS client settings cannot be used.
package struct TLSSetupError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, naming the file when there is one.
    package var description: String
}

/// The TLS client settings shared by every connection: TLS 1.2 or newer, peer verification on, and the trust
/// anchors (the system store, or the PEM file `api.ca_file` instead of it, where an intermediate CA is an anchor too).
///
/// One `SSL_CTX` per transport: OpenSSL documents it as safe to share between threads once configured, and
/// nothing changes it after `init`.
final class TLSContext: @unchecked Sendable {
    // @unchecked: `context` is configured in init only and then used read-only through SSL_new, which OpenSSL
    // allows from any number of threads at once.
    let context: OpaquePointer

    /// Settings trusting the system store, or only the certificates in `caFile` when given.
    init(caFile: String?) throws(TLSSetupError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw TLSSetupError(description: "cannot create a TLS context: \(Self.errorQueueText())")
        }
        self.context = context
        guard watcher_SSL_CTX_set_min_proto_version(context, watcher_TLS1_2_VERSION()) == 1 else {
            throw TLSSetupError(description: "cannot require TLS 1.2: \(Self.errorQueueText())")
        }
        // Non-blocking writes are retried with the same buffer whose address may have moved (a Swift array).
        _ = watcher_SSL_CTX_set_mode(
            context, watcher_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER() | watcher_SSL_MODE_ENABLE_PARTIAL_WRITE())
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if let caFile {
            ERR_clear_error()
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                throw TLSSetupError(
                    description: "cannot load the CA file \(caFile) (api.ca_file): \(Self.errorQueueText())")
            }
            // Every certificate in the file is a trust anchor, an intermediate CA too: the chain may end there
            // without reaching a self-signed root.
            guard let store = SSL_CTX_get_cert_store(context),
                X509_STORE_set_flags(store, UInt(X509_V_FLAG_PARTIAL_CHAIN)) == 1
            else {
                throw TLSSetupError(
                    description: "cannot trust the CA file \(caFile) (api.ca_file) as anchors: \(Self.errorQueueText())"
                )
            }
        } else if SSL_CTX_set_default_verify_paths(context) != 1 {
            throw TLSSetupError(description: "cannot load the system trust store: \(Self.errorQueueText())")
        }
    }

    deinit {
        SSL_CTX_free(context)
    }

    /// The oldest error on this thread's OpenSSL queue, as text; the queue is emptied.
    static func errorQueueText() -> String {
        var text = ""
        while case let code = ERR_get_error(), code != 0 {
            if text.isEmpty {
                var buffer = [CChar](repeating: 0, count: 256)
                ERR_error_string_n(code, &buffer, buffer.count)
                text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
        return text.isEmpty ? "no detail from OpenSSL" : text
    }

    /// The reason of a certificate verification result, as OpenSSL words it ("certificate has expired").
    static func verificationText(_ result: Int) -> String {
        String(cString: X509_verify_cert_error_string(result))
    }
}
