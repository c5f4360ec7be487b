import Foundation
import LoopbackHTTPServer
import WatcherConfig
import WatcherCrypto
import WatcherLog

/// A folder holding everything needed to run the watcher against the simulator: keys for the platform and each
/// merchant, and a configuration file pointing at the simulator's port.
///
/// Keys already in the folder are reused, so a simulator restarted on the same folder keeps working with a
/// watcher configured from it. Used by `simulate`, `demo`, the benchmark and the end-to-end tests.
package struct SimulationFolder: Sendable {
    /// The public key id the simulated platform signs with.
    package static let platformKeyID = "PUB_KEY_ID_0119000000012024111200000000000001"

    /// A simulated merchant's identity and key.
    package struct Merchant: Sendable {
        /// The merchant id.
        package var mchid: String
        /// Its API certificate serial.
        package var serial: String
        /// Its API private key.
        package var key: RSAPrivateKey
    }

    /// The folder.
    package let directory: String
    /// The platform's private key (the simulator signs with it).
    package let platformKey: RSAPrivateKey
    /// The merchants.
    package let merchants: [Merchant]

    /// The configuration file written into the folder.
    package var configFile: String { directory + "/wechatpay-watcher.json" }
    /// The database path in that configuration.
    package var database: String { directory + "/watcher.sqlite3" }
    /// The log path in that configuration.
    package var logFile: String { directory + "/watcher.log" }
    /// The platform public key file.
    package var platformPublicKeyFile: String { directory + "/pub_key.pem" }

    /// The private key file of a merchant.
    package func privateKeyFile(of mchid: String) -> String { "\(directory)/\(mchid)/apiclient_key.pem" }

    /// Creates the folder (if needed) and its keys: merchants `1900000001`, `1900000002`, ….
    package static func prepare(directory: String, merchantCount: Int) throws -> SimulationFolder {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let platform = try key(
            at: directory + "/simulator/platform_private_key.pem", directoryToCreate: directory + "/simulator")
        try KeyFile.write(platform.publicKey.spkiPEM(), to: directory + "/pub_key.pem", mode: 0o644)
        var merchants: [Merchant] = []
        for index in 0..<merchantCount {
            let mchid = String(1_900_000_001 + index)
            let folder = "\(directory)/\(mchid)"
            let key = try key(at: folder + "/apiclient_key.pem", directoryToCreate: folder)
            merchants.append(Merchant(mchid: mchid, serial: merchantSerial(index: index), key: key))
        }
        return SimulationFolder(directory: directory, platformKey: platform, merchants: merchants)
    }

    /// A 40-hex-digit certificate serial like the merchant platform's, distinct per merchant: a 160-bit number
    /// does not fit the 64 bits `%X` formats, so the last four digits count and the 36 before them are fixed.
    static func merchantSerial(index: Int) -> String {
        let last = String(0x3A8C + index, radix: 16, uppercase: true)
        return "1DDE55AD98ED71D6EDD4A4A16996DE7B4777" + String(repeating: "0", count: max(0, 4 - last.count)) + last
    }

    /// The certificate authority file a watcher trusts for the simulator's TLS (its `api.ca_file`).
    package var caFile: String { directory + "/ca.pem" }
    /// The simulator's TLS certificate, for 127.0.0.1 and localhost.
    package var tlsCertificateFile: String { directory + "/simulator/tls_certificate.pem" }
    /// Its private key, mode 0600.
    package var tlsKeyFile: String { directory + "/simulator/tls_key.pem" }

    /// The simulator's TLS certificate and key, created with a new authority on first use and reused after, so a
    /// restarted simulator still matches the `api.ca_file` a running watcher has loaded.
    package func prepareTLS() throws -> ServerTLSConfiguration {
        let files = [caFile, tlsCertificateFile, tlsKeyFile]
        if !files.allSatisfy(FileManager.default.fileExists(atPath:)) {
            // The authority's key is not kept: nothing else is ever signed with it.
            let authority = try CertificateAuthority(commonName: "wechatpay-watcher simulator CA")
            let server = try authority.issue(
                commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"])
            try server.write(certificatePath: tlsCertificateFile, privateKeyPath: tlsKeyFile)
            try KeyFile.write(authority.pem.certificatePEM, to: caFile, mode: 0o644)
        }
        return ServerTLSConfiguration(
            certificateChainPEM: try String(contentsOfFile: tlsCertificateFile, encoding: .utf8),
            privateKeyPEM: try String(contentsOfFile: tlsKeyFile, encoding: .utf8))
    }

    private static func key(at path: String, directoryToCreate: String) throws -> RSAPrivateKey {
        if FileManager.default.fileExists(atPath: path) { return try KeyFile.loadPrivateKey(path: path) }
        try FileManager.default.createDirectory(
            atPath: directoryToCreate,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        let key = try RSAPrivateKey.generate()
        try KeyFile.write(key.pkcs8PEM(), to: path, mode: 0o600)
        return key
    }

    /// The simulator's view of the merchants.
    package func simulatorConfiguration(
        seed: UInt64, durations: DurationModel, failureRate: Double, createUnknown: Bool
    )
        -> SimulatorConfiguration
    {
        SimulatorConfiguration(
            platformKey: platformKey,
            platformKeyID: Self.platformKeyID,
            merchants: merchants.map {
                SimulatedMerchant(mchid: $0.mchid, certificateSerial: $0.serial, publicKey: $0.key.publicKey)
            },
            seed: seed,
            createUnknownResources: createUnknown,
            durations: durations,
            failureRate: failureRate
        )
    }

    /// Writes the watcher's configuration for a simulator at `baseURL`; `caFile` is the authority to trust
    /// instead of the system store (``caFile`` when the simulator serves TLS), `proxyURL` an HTTP proxy.
    package func writeConfiguration(
        baseURL: String,
        backupBaseURL: String? = nil,
        caFile: String? = nil,
        proxyURL: String? = nil,
        requestTimeoutSeconds: Double = 5,
        logLevel: LogLevel = .info,
        requestsPerSecond: Int = 20
    ) throws {
        let configuration = WatcherConfiguration(
            configFile: configFile,
            database: database,
            logFile: logFile,
            logLevel: logLevel,
            logFormat: .text,
            metricsFile: nil,
            api: APISettings(
                baseURL: baseURL, backupBaseURL: backupBaseURL, requestTimeoutSeconds: requestTimeoutSeconds,
                caFile: caFile, proxyURL: try proxyURL.map { try ProxyURL.parse($0).get() }),
            polling: .defaults,
            merchants: merchants.map {
                MerchantSettings(
                    merchantID: $0.mchid,
                    certificateSerial: $0.serial,
                    privateKeyFile: privateKeyFile(of: $0.mchid),
                    wechatpayPublicKeyID: Self.platformKeyID,
                    wechatpayPublicKeyFile: platformPublicKeyFile,
                    requestsPerSecond: requestsPerSecond
                )
            }
        )
        try Data(ConfigurationLoader.encode(configuration).utf8).write(to: URL(fileURLWithPath: configFile))
    }
}
