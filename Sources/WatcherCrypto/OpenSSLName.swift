/// Names passed to OpenSSL as C strings that live as long as the process.
///
/// OpenSSL 3.0 keeps some name arguments by pointer instead of copying them: the decoder context reads its
/// input type ("PEM") again inside OSSL_DECODER_from_data, long after OSSL_DECODER_CTX_new_for_pkey returned.
/// A Swift `String` passed as `const char *` is only valid during the call, so a retained name ends up
/// pointing at freed memory (seen as garbage in "Input type: …" errors under concurrent loads).
/// String literals in a `StaticString` live in the binary's read-only data instead.
enum OpenSSLName {
    static var pem: UnsafePointer<CChar> { cString("PEM") }
    static var rsa: UnsafePointer<CChar> { cString("RSA") }
    static var ellipticCurve: UnsafePointer<CChar> { cString("EC") }
    static var p256: UnsafePointer<CChar> { cString("P-256") }

    private static func cString(_ name: StaticString) -> UnsafePointer<CChar> {
        UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
    }
}
