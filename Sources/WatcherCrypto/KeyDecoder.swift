import COpenSSL

/// Turns one PEM block into an `EVP_PKEY` with OpenSSL 3's decoder.
enum KeyDecoder {
    /// What the decoder should extract from the block.
    enum Part {
        case privateKey
        case publicKey

        /// EVP_PKEY_KEYPAIR and EVP_PKEY_PUBLIC_KEY, spelled out: nested C macros do not import into Swift.
        var selection: Int32 {
            let publicKey =
                OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS | OSSL_KEYMGMT_SELECT_OTHER_PARAMETERS
                | OSSL_KEYMGMT_SELECT_PUBLIC_KEY
            switch self {
            case .privateKey: return publicKey | OSSL_KEYMGMT_SELECT_PRIVATE_KEY
            case .publicKey: return publicKey
            }
        }
    }

    /// Decodes `block` and returns an owned `EVP_PKEY` (free with `EVP_PKEY_free`), or OpenSSL's reason.
    static func decode(_ block: PEMBlock, part: Part) -> Result<OpaquePointer, CryptoError> {
        // The decoder context keeps this address and writes the key through it later, inside
        // OSSL_DECODER_from_data, so it must outlive the call that creates the context: `&localVariable`
        // would only be valid during that first call.
        let output = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: 1)
        output.initialize(to: nil)
        defer { output.deallocate() }
        guard
            let context = OSSL_DECODER_CTX_new_for_pkey(
                output, OpenSSLName.pem, nil, nil, part.selection, nil, nil)
        else {
            return .failure(.openSSL("creating an OpenSSL key decoder"))
        }
        defer { OSSL_DECODER_CTX_free(context) }
        let pem = Array(block.normalizedText.utf8)
        let decoded = pem.withUnsafeBufferPointer { buffer in
            var data = buffer.baseAddress
            var length = buffer.count
            return OSSL_DECODER_from_data(context, &data, &length)
        }
        guard decoded == 1, let key = output.pointee else {
            return .failure(.openSSL("decoding the PEM block"))
        }
        return .success(key)
    }
}
