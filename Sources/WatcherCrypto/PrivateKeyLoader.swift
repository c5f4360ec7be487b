import COpenSSL

/// Picks the private key out of PEM bytes and decodes it, or says precisely why it cannot.
enum PrivateKeyLoader {
    /// An owned RSA `EVP_PKEY` of at least 2048 bits.
    static func load(_ bytes: [UInt8], source: String) throws(KeyLoadError) -> OpaquePointer {
        let block = try usableBlock(in: bytes, source: source)
        let key: OpaquePointer
        switch KeyDecoder.decode(block, part: .privateKey) {
        case .success(let decoded): key = decoded
        case .failure(let error):
            throw KeyLoadError(
                source: source,
                problem: "found \(block.content), but OpenSSL could not decode it (\(error.reason)); "
                    + "the file may be damaged; expected \(RSAKeyPolicy.expectedPrivateKey)"
            )
        }
        try RSAKeyPolicy.requireUsableRSA(
            key, found: block.content, expected: RSAKeyPolicy.expectedPrivateKey, source: source)
        return key
    }

    /// The block to decode: the one private key in the file (a `openssl pkcs12 -nodes` dump puts
    /// certificates before it), or an error naming what the file holds instead.
    private static func usableBlock(in bytes: [UInt8], source: String) throws(KeyLoadError) -> PEMBlock {
        guard case .text(let blocks) = PEMFile(bytes),
            let block = blocks.first(where: { $0.content.isPrivateKey }) ?? blocks.first
        else {
            throw mismatch(PEMContent.classify(bytes), source: source)
        }
        let privateKeys = blocks.filter { $0.content.isPrivateKey }
        guard privateKeys.count <= 1 else {
            // Signing with whichever comes first would fail as SIGN_ERROR at every request if it is the wrong one.
            throw KeyLoadError(
                source: source,
                problem:
                    "holds \(privateKeys.count) private keys (\(privateKeys.map { "\($0.content)" }.joined(separator: ", "))); "
                    + "a merchant key file holds exactly one, the apiclient_key.pem issued with the merchant API "
                    + "certificate: keep only that key in the file"
            )
        }
        switch block.content {
        case .pkcs8PrivateKey, .pkcs1RSAPrivateKey:
            guard block.isTerminated else {
                throw KeyLoadError(
                    source: source,
                    problem: "found \(block.content) without its -----END \(block.label)----- line "
                        + "(a truncated copy?); expected \(RSAKeyPolicy.expectedPrivateKey)"
                )
            }
            return block
        default:
            throw mismatch(block.content, source: source)
        }
    }

    private static func mismatch(_ content: PEMContent, source: String) -> KeyLoadError {
        let hint = hint(for: content, source: source)
        return .found(content, expected: RSAKeyPolicy.expectedPrivateKey, hint: hint, source: source)
    }

    private static func hint(for content: PEMContent, source: String) -> String? {
        let file = RSAKeyPolicy.commandArgument(for: source)
        switch content {
        case .encryptedPrivateKey:
            return "decrypt it once with `openssl pkey -in \(file) -out apiclient_key.pem` "
                + "and keep the result readable only by the watcher"
        case .binary:
            return "if it is a .p12 bundle, extract the key with "
                + "`openssl pkcs12 -in \(file) -nocerts -nodes -out apiclient_key.pem`; "
                + "if it is DER, convert it with `openssl pkey -inform DER -in \(file) -out apiclient_key.pem`"
        case .certificate:
            return "a certificate holds only the public half; the private key is the apiclient_key.pem "
                + "created together with the merchant API certificate"
        case .publicKey, .pkcs1RSAPublicKey:
            return "a public key cannot sign; use the merchant API private key (apiclient_key.pem)"
        case .ecPrivateKey:
            return "WECHATPAY2-SHA256-RSA2048 signs with RSA only"
        default:
            return nil
        }
    }
}
