import COpenSSL
import WatcherSync

/// An RSASSA-PKCS1-v1_5 SHA-256 signing or verifying context set up once per key and copied for each operation.
///
/// OpenSSL 3 looks the signature and digest algorithms up again on every `EVP_DigestSignInit` and
/// `EVP_DigestVerifyInit` (name-map walks under its store lock): in the daemon that cost about 5% of its CPU, as
/// much as the verification itself. A copy of a prepared context skips it.
final class PreparedDigestContext: Sendable {
    /// Which operation the contexts are for.
    enum Operation {
        case sign
        case verify
    }

    // The template is only read (EVP_MD_CTX_copy_ex takes it as const), under the lock all the same, since OpenSSL
    // documents no concurrent use of one context; nil when it could not be set up, and each call prepares its own.
    private let template: Locked<SharedPointer>?
    private let key: SharedPointer
    private let operation: Operation

    /// Prepares the template for `key`, which must outlive this object (its owner frees both together).
    init(key: OpaquePointer, operation: Operation) {
        self.key = SharedPointer(key)
        self.operation = operation
        self.template = Self.prepare(key, operation).map { Locked(SharedPointer($0)) }
    }

    deinit {
        template?.withLock { EVP_MD_CTX_free($0.pointer) }
    }

    /// A context ready for `EVP_DigestSign`/`EVP_DigestVerify`, which the caller frees with `EVP_MD_CTX_free`; nil
    /// when OpenSSL fails (the reason is in its error queue).
    func makeContext() -> OpaquePointer? {
        guard let template else { return Self.prepare(key.pointer, operation) }
        guard let context = EVP_MD_CTX_new() else { return nil }
        let copy = SharedPointer(context)
        guard template.withLock({ EVP_MD_CTX_copy_ex(copy.pointer, $0.pointer) }) == 1 else {
            EVP_MD_CTX_free(context)
            return nil
        }
        return context
    }

    /// A fresh context initialised for `operation` with SHA-256 and PKCS#1 v1.5 padding, set explicitly so the
    /// padding does not depend on OpenSSL's default.
    private static func prepare(_ key: OpaquePointer, _ operation: Operation) -> OpaquePointer? {
        guard let context = EVP_MD_CTX_new() else { return nil }
        // Owned by `context`.
        var keyContext: OpaquePointer? = nil
        let initialised =
            switch operation {
            case .sign: EVP_DigestSignInit(context, &keyContext, EVP_sha256(), nil, key)
            case .verify: EVP_DigestVerifyInit(context, &keyContext, EVP_sha256(), nil, key)
            }
        guard initialised == 1, EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PADDING) == 1 else {
            EVP_MD_CTX_free(context)
            return nil
        }
        return context
    }
}

/// An OpenSSL object handed between threads or into the lock's closure: the key (never mutated; OpenSSL 3 allows
/// read-only use of a key from many threads), the template context (only read, and only under its lock)
/// or a context just made for one call.
private struct SharedPointer: @unchecked Sendable {
    // @unchecked Sendable: see above; the owner of the key keeps it alive as long as the prepared context.
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }
}
