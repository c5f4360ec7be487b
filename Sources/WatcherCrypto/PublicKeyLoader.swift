import COpenSSL

/// Picks the public key out of PEM bytes and decodes it, or says precisely why it cannot.
enum PublicKeyLoader {
    /// An owned RSA `EVP_PKEY` holding only a public key of at least 2048 bits.
    static func load(_ bytes: [UInt8], source: String) throws(KeyLoadError) -> OpaquePointer {
        let block = try usableBlock(in: bytes, source: source)
        let key: OpaquePointer
        switch KeyDecoder.decode(block, part: .publicKey) {
        case .success(let decoded): key = decoded
        case .failure(let error):
            throw KeyLoadError(
                source: source,
                problem: "found \(block.content), but OpenSSL could not decode it (\(error.reason)); "
                    + "the file may be damaged; expected \(RSAKeyPolicy.expectedPublicKey)"
            )
        }
        try RSAKeyPolicy.requireUsableRSA(
            key, found: block.content, expected: RSAKeyPolicy.expectedPublicKey, source: source)
        return key
    }

    /// The first public key block, or an error naming what the file holds instead. A private key is
    /// refused even though its public half could be derived: finding one here means a secret was put
    /// where a shareable key belongs.
    private static func usableBlock(in bytes: [UInt8], source: String) throws(KeyLoadError) -> PEMBlock {
        guard case .text(let blocks) = PEMFile(bytes),
            let block = blocks.first(where: { $0.content.isPublicKey }) ?? blocks.first
        else {
            throw mismatch(PEMContent.classify(bytes), source: source)
        }
        guard block.content.isPublicKey else {
            throw mismatch(block.content, source: source)
        }
        guard block.isTerminated else {
            throw KeyLoadError(
                source: source,
                problem: "found \(block.content) without its -----END \(block.label)----- line "
                    + "(a truncated copy?); expected \(RSAKeyPolicy.expectedPublicKey)"
            )
        }
        return block
    }

    private static func mismatch(_ content: PEMContent, source: String) -> KeyLoadError {
        if content.isPrivateKey {
            return KeyLoadError(
                source: source,
                problem: "found \(content): this is a private key and must not be used here; "
                    + "expected \(RSAKeyPolicy.expectedPublicKey), such as the WeChat Pay public key "
                    + "(pub_key.pem) downloaded from the merchant platform"
            )
        }
        let hint =
            content == .certificate
            ? "extract its public key with "
                + "`openssl x509 -in \(RSAKeyPolicy.commandArgument(for: source)) -pubkey -noout > pub_key.pem`"
            : nil
        return .found(content, expected: RSAKeyPolicy.expectedPublicKey, hint: hint, source: source)
    }
}
