import Foundation
import Testing
import WatcherCrypto

@Suite("Key files on disk")
struct KeyFileTests {
    @Test("a private key readable by others is refused with the exact chmod fix")
    func worldReadableRefused() throws {
        try TemporaryDirectory.with { directory in
            let path = "\(directory)/apiclient_key.pem"
            try TemporaryDirectory.createFile(path, Fixture.referencePKCS8, mode: 0o644)
            let error = #expect(throws: KeyLoadError.self) { try KeyFile.loadPrivateKey(path: path) }
            #expect(error?.source == path)
            #expect(error?.problem.contains("(mode 0644)") == true)
            #expect(error?.problem.hasSuffix("fix it with `chmod o-rwx '\(path)'`") == true)
        }
    }

    @Test("a path with a quote gets a chmod command that still pastes into a shell")
    func quotedPath() throws {
        try TemporaryDirectory.with { directory in
            let path = "\(directory)/it's key.pem"
            try TemporaryDirectory.createFile(path, Fixture.referencePKCS8, mode: 0o604)
            let error = #expect(throws: KeyLoadError.self) { try KeyFile.loadPrivateKey(path: path) }
            #expect(error?.problem.hasSuffix("`chmod o-rwx '\(directory)/it'\\''s key.pem'`") == true)
        }
    }

    @Test("a private key readable by its owner (and group) loads", arguments: [0o600, 0o400, 0o640])
    func privateModeLoads(mode: Int) throws {
        try TemporaryDirectory.with { directory in
            let path = "\(directory)/apiclient_key.pem"
            try TemporaryDirectory.createFile(path, Fixture.referencePKCS8, mode: mode)
            let key = try KeyFile.loadPrivateKey(path: path)
            let signature = try key.signSHA256(ReferenceVectorTests.message)
            #expect(StrictBase64.encode(signature) == ReferenceVectorTests.expectedSignature)
        }
    }

    @Test("format problems name the file")
    func formatProblemNamesFile() throws {
        try TemporaryDirectory.with { directory in
            let path = "\(directory)/apiclient_cert.pem"
            try TemporaryDirectory.createFile(path, Fixture.certificate, mode: 0o600)
            let error = #expect(throws: KeyLoadError.self) { try KeyFile.loadPrivateKey(path: path) }
            #expect(error?.description.hasPrefix("\(path): found an X.509 certificate; expected") == true)
        }
    }

    @Test("a missing file names the path and the system's reason")
    func missingFile() {
        let path = "/nonexistent-\(UUID().uuidString)/apiclient_key.pem"
        let error = #expect(throws: KeyLoadError.self) { try KeyFile.loadPrivateKey(path: path) }
        #expect(error?.source == path)
        #expect(error?.problem == "cannot read: No such file or directory")
        let publicError = #expect(throws: KeyLoadError.self) { try KeyFile.loadPublicKey(path: path) }
        #expect(publicError?.problem == "cannot read: No such file or directory")
    }

    @Test("a directory is not a key file")
    func directory() throws {
        try TemporaryDirectory.with { directory in
            let error = #expect(throws: KeyLoadError.self) { try KeyFile.loadPublicKey(path: directory) }
            #expect(error?.problem == "cannot read: Is a directory")
        }
    }

    @Test("a file far larger than any key is not read whole")
    func oversized() throws {
        try TemporaryDirectory.with { directory in
            let path = "\(directory)/huge.pem"
            try TemporaryDirectory.createFile(path, String(repeating: "A", count: 2 << 20), mode: 0o600)
            let error = #expect(throws: KeyLoadError.self) { try KeyFile.loadPublicKey(path: path) }
            #expect(error?.problem.hasPrefix("is larger than 1048576 bytes") == true)
        }
    }

    @Test("a public key file loads whatever its mode")
    func publicKeyFile() throws {
        try TemporaryDirectory.with { directory in
            let path = "\(directory)/pub_key.pem"
            try TemporaryDirectory.createFile(path, Fixture.referenceSPKI, mode: 0o644)
            #expect(try KeyFile.loadPublicKey(path: path).spkiPEM() == Fixture.referenceSPKI + "\n")
        }
    }

    @Test("write creates a file with exactly the given mode, whatever the umask", arguments: [0o600, 0o640, 0o666])
    func writeSetsMode(mode: Int) throws {
        try TemporaryDirectory.with { directory in
            let path = "\(directory)/key.pem"
            try KeyFile.write(Fixture.referencePKCS8, to: path, mode: UInt32(mode))
            #expect(TemporaryDirectory.mode(of: path) == UInt32(mode))
            #expect(try String(contentsOfFile: path, encoding: .utf8) == Fixture.referencePKCS8)
        }
    }

    @Test("write over an existing wider file narrows its mode and replaces its contents")
    func writeReplaces() throws {
        try TemporaryDirectory.with { directory in
            let path = "\(directory)/key.pem"
            try TemporaryDirectory.createFile(path, String(repeating: "old ", count: 1000), mode: 0o644)
            try KeyFile.write(Fixture.referencePKCS8, to: path, mode: 0o600)
            #expect(TemporaryDirectory.mode(of: path) == 0o600)
            #expect(try KeyFile.loadPrivateKey(path: path).pkcs8PEM() == Fixture.referencePKCS8 + "\n")
        }
    }

    @Test("write into a missing directory names the path and the system's reason")
    func writeFails() {
        let path = "/nonexistent-\(UUID().uuidString)/key.pem"
        let error = #expect(throws: CryptoError.self) { try KeyFile.write("x", to: path, mode: 0o600) }
        #expect(error?.description == "writing '\(path)' failed: open: No such file or directory")
    }

    @Test("write refuses a mode with bits beyond 07777")
    func writeRefusesFileType() throws {
        try TemporaryDirectory.with { directory in
            let path = "\(directory)/key.pem"
            let error = #expect(throws: CryptoError.self) { try KeyFile.write("x", to: path, mode: 0o100600) }
            #expect(error?.reason.contains("0100600") == true)
            #expect(TemporaryDirectory.mode(of: path) == nil)
        }
    }
}
