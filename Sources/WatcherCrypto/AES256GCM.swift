import COpenSSL

/// AES-256-GCM as WeChat Pay's `AEAD_AES_256_GCM` uses it: a 32-byte key, any nonce length, the 16-byte tag
/// appended to the ciphertext.
package enum AES256GCM {
    /// Bytes of the authentication tag at the end of every sealed message.
    package static let tagLength = 16
    /// Bytes of an AES-256 key.
    package static let keyLength = 32

    /// Why a sealed message could not be opened.
    package enum OpenError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The tag does not match: the key is wrong, or the message or its associated data were changed.
        case authenticationFailed
        /// The key is not 32 bytes, the nonce is empty, or the input is shorter than a tag.
        case invalidInput(String)
        /// OpenSSL failed for another reason.
        case openSSL(String)

        /// A human-readable account, for logs and error messages.
        package var description: String {
            switch self {
            case .authenticationFailed: "the AES-256-GCM tag does not match"
            case .invalidInput(let what): what
            case .openSSL(let reason): "OpenSSL failed: \(reason)"
            }
        }
    }

    /// The plaintext of `sealed` (ciphertext followed by the tag), or `.authenticationFailed` when the tag does
    /// not match.
    package static func open(
        _ sealed: [UInt8], key: [UInt8], nonce: [UInt8], associatedData: [UInt8]
    ) throws(OpenError) -> [UInt8] {
        guard key.count == keyLength else { throw .invalidInput("the key has \(key.count) bytes; expected 32") }
        guard !nonce.isEmpty else { throw .invalidInput("the nonce is empty") }
        guard sealed.count >= tagLength else {
            throw .invalidInput("the ciphertext has \(sealed.count) bytes, fewer than its 16-byte tag")
        }
        // A failed tag check leaves reasons in this thread's error queue; the caller gets a typed error instead.
        defer { OpenSSLErrorQueue.clear() }
        guard let context = EVP_CIPHER_CTX_new() else { throw .openSSL(OpenSSLErrorQueue.drain()) }
        defer { EVP_CIPHER_CTX_free(context) }
        var tag = Array(sealed.suffix(tagLength))
        let ciphertext = Array(sealed.dropLast(tagLength))
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + tagLength)
        var length: Int32 = 0
        guard EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1,
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonce.count), nil) == 1,
            EVP_DecryptInit_ex(context, nil, nil, key, nonce) == 1,
            associatedData.isEmpty
                || EVP_DecryptUpdate(context, nil, &length, associatedData, Int32(associatedData.count)) == 1,
            EVP_DecryptUpdate(context, &plaintext, &length, ciphertext, Int32(ciphertext.count)) == 1
        else {
            throw .openSSL(OpenSSLErrorQueue.drain())
        }
        let written = Int(length)
        guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(tagLength), &tag) == 1 else {
            throw .openSSL(OpenSSLErrorQueue.drain())
        }
        let finished = plaintext.withUnsafeMutableBufferPointer { buffer in
            EVP_DecryptFinal_ex(context, buffer.baseAddress! + written, &length)
        }
        guard finished == 1 else { throw .authenticationFailed }
        return Array(plaintext.prefix(written + Int(length)))
    }

    /// `plaintext` sealed: ciphertext followed by the 16-byte tag (the simulator encrypts what it sends).
    package static func seal(
        _ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], associatedData: [UInt8]
    ) throws(OpenError) -> [UInt8] {
        guard key.count == keyLength else { throw .invalidInput("the key has \(key.count) bytes; expected 32") }
        guard !nonce.isEmpty else { throw .invalidInput("the nonce is empty") }
        guard let context = EVP_CIPHER_CTX_new() else { throw .openSSL(OpenSSLErrorQueue.drain()) }
        defer { EVP_CIPHER_CTX_free(context) }
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + tagLength)
        var length: Int32 = 0
        guard EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1,
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonce.count), nil) == 1,
            EVP_EncryptInit_ex(context, nil, nil, key, nonce) == 1,
            associatedData.isEmpty
                || EVP_EncryptUpdate(context, nil, &length, associatedData, Int32(associatedData.count)) == 1,
            EVP_EncryptUpdate(context, &ciphertext, &length, plaintext, Int32(plaintext.count)) == 1
        else {
            throw .openSSL(OpenSSLErrorQueue.drain())
        }
        var written = Int(length)
        let finished = ciphertext.withUnsafeMutableBufferPointer { buffer in
            EVP_EncryptFinal_ex(context, buffer.baseAddress! + written, &length)
        }
        guard finished == 1 else { throw .openSSL(OpenSSLErrorQueue.drain()) }
        written += Int(length)
        var tag = [UInt8](repeating: 0, count: tagLength)
        guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(tagLength), &tag) == 1 else {
            throw .openSSL(OpenSSLErrorQueue.drain())
        }
        return Array(ciphertext.prefix(written)) + tag
    }
}
