import COpenSSL

/// Writes an `EVP_PKEY` out as PEM text or DER bytes.
enum KeyEncoder {
    /// Runs an OpenSSL `PEM_write_bio_*` function into memory and returns the text it wrote.
    ///
    /// Encoding a key that is already in memory fails only when memory runs out, which this process
    /// cannot recover from; hence a trap with OpenSSL's reason rather than a throwing signature.
    static func pem(_ what: String, writer: (OpaquePointer) -> Int32) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else {
            fatalError("\(CryptoError.openSSL("allocating a memory BIO to write \(what)"))")
        }
        defer { BIO_free(bio) }
        guard writer(bio) == 1 else {
            fatalError("\(CryptoError.openSSL("writing \(what) as PEM"))")
        }
        return String(decoding: readAll(bio), as: UTF8.self)
    }

    /// The SubjectPublicKeyInfo DER of `key`'s public half.
    static func publicKeyDER(_ key: OpaquePointer) -> [UInt8]? {
        let length = i2d_PUBKEY(key, nil)
        guard length > 0 else { return nil }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return i2d_PUBKEY(key, &cursor)
        }
        return written == length ? der : nil
    }

    private static func readAll(_ bio: OpaquePointer) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Int(BIO_ctrl_pending(bio)))
        let count = bytes.withUnsafeMutableBytes { buffer in
            BIO_read(bio, buffer.baseAddress, Int32(buffer.count))
        }
        return Array(bytes.prefix(max(0, Int(count))))
    }
}
