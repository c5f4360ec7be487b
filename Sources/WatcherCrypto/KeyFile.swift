import WatcherPOSIX

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Key files on disk: reading them with the checks an operator would want, and writing them safely.
package enum KeyFile {
    /// Reads and loads a merchant private key file. Refuses a file readable by others (st_mode & S_IROTH), with
    /// the exact fix in the problem text: `chmod o-rwx '<path>'`. A file that cannot be read gives the system's
    /// reason, e.g. "cannot read: No such file or directory".
    package static func loadPrivateKey(path: String) throws(KeyLoadError) -> RSAPrivateKey {
        let contents = try read(path)
        if let problem = POSIXFile.readableByOthersProblem(
            mode: contents.mode, path: path, holding: "a merchant private key")
        {
            throw KeyLoadError(source: path, problem: problem)
        }
        return try RSAPrivateKey(pem: contents.bytes, source: path)
    }

    /// Reads an APIv3 key file: exactly 32 bytes (the 32 characters the merchant platform shows), one trailing
    /// newline tolerated. It is a secret like the private key, so the same permission rule applies.
    package static func loadAPIv3Key(path: String) throws(KeyLoadError) -> [UInt8] {
        let contents = try read(path)
        if let problem = POSIXFile.readableByOthersProblem(mode: contents.mode, path: path, holding: "an APIv3 key") {
            throw KeyLoadError(source: path, problem: problem)
        }
        var key = contents.bytes[...]
        if key.last == UInt8(ascii: "\n") { key = key.dropLast() }
        if key.last == UInt8(ascii: "\r") { key = key.dropLast() }
        guard key.count == AES256GCM.keyLength else {
            throw KeyLoadError(
                source: path,
                problem: "holds \(key.count) bytes; an APIv3 key is exactly 32 characters "
                    + "(the key set under 账户中心 → API安全 on the merchant platform), optionally followed by one newline"
            )
        }
        return Array(key)
    }

    /// Reads and loads a public key file (SPKI or PKCS#1 PEM). Public keys are not secret, so the file's
    /// permissions are not checked.
    package static func loadPublicKey(path: String) throws(KeyLoadError) -> RSAPublicKey {
        try RSAPublicKey(pem: try read(path).bytes, source: path)
    }

    /// Writes a PEM file with exactly the permissions `mode` (creating or truncating it), then fsyncs it.
    /// The mode is set with fchmod because open(2) applies the umask, and an existing file keeps its old mode.
    package static func write(_ pem: String, to path: String, mode: UInt32) throws(CryptoError) {
        let operation = "writing \(ShellQuoting.quoted(path))"
        guard mode <= 0o7777 else {
            let reason = "mode \(POSIXFile.octal(mode)) has bits beyond the permission bits 07777"
            throw CryptoError(operation: operation, reason: reason)
        }
        if case .failure(let failure) = POSIXFile.replace(atPath: path, with: Array(pem.utf8), mode: mode_t(mode)) {
            throw CryptoError(operation: operation, reason: failure.description)
        }
    }

    private static func read(_ path: String) throws(KeyLoadError) -> POSIXFile.Contents {
        switch POSIXFile.contents(atPath: path) {
        case .failure(let failure):
            throw KeyLoadError(source: path, problem: "cannot read: \(failure.message)")
        case .success(let contents) where contents.bytes.count > POSIXFile.readLimit:
            throw KeyLoadError(
                source: path,
                problem: "is larger than \(POSIXFile.readLimit) bytes; expected a PEM key file of a few kilobytes"
            )
        case .success(let contents):
            return contents
        }
    }
}
