import Foundation
import Testing
import WatcherTestSupport
import WeChatPaySimulator

@Suite("Simulation folder")
struct SimulationFolderTests {
    @Test("merchant certificate serials have all 40 hex digits and differ per merchant")
    func serials() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let folder = try SimulationFolder.prepare(directory: directory.path, merchantCount: 3)
        let serials = folder.merchants.map(\.serial)
        #expect(serials[0] == "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        #expect(serials[1] == "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8D")
        #expect(Set(serials).count == 3)
        for serial in serials {
            #expect(serial.count == 40)
            #expect(serial.allSatisfy { $0.isHexDigit })
        }
    }

    @Test("the TLS certificate, its key and the CA file are written once and reused by a restarted simulator")
    func tlsFiles() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let folder = try SimulationFolder.prepare(directory: directory.path, merchantCount: 1)
        let first = try folder.prepareTLS()
        #expect(first.certificateChainPEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
        let authority = try String(contentsOfFile: folder.caFile, encoding: .utf8)
        #expect(authority.hasPrefix("-----BEGIN CERTIFICATE-----"))
        let keyMode = try FileManager.default.attributesOfItem(atPath: folder.tlsKeyFile)[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
        let again = try SimulationFolder.prepare(directory: directory.path, merchantCount: 1).prepareTLS()
        #expect(again.certificateChainPEM == first.certificateChainPEM)
        #expect(again.privateKeyPEM == first.privateKeyPEM)
    }
}
