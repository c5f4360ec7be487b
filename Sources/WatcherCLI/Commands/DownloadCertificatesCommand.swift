import Foundation
import WatcherConfig
import WatcherLog
import WeChatPay

/// `download-certificates --config FILE [--merchant M]`: fetch, decrypt and verify the platform certificates now.
enum DownloadCertificatesCommand: Command {
    static let name = "download-certificates"
    static let summary = "Download, decrypt and verify the WeChat Pay platform certificates; update the cache."
    static let usage = "download-certificates --config FILE [--merchant M]"
    static let discussion = """
        For every merchant with an apiv3_key_file (platform-certificate or migration mode), or only merchant M: a
        signed GET /v3/certificates through the configured API hosts, each certificate decrypted with the APIv3 key
        and checked (serial, RSA-2048, validity), the answer's signature checked against a certificate already held
        or one it brings. Prints each serial with its validity and writes the cache next to the database, where a
        running daemon reads it at its next start. A wrong APIv3 key fails with "wrong APIv3 key".
        """
    static let options: [Arguments.Option] = [
        .init(name: "config", takesValue: true, help: "the configuration file (JSON)", valueName: "FILE"),
        .init(name: "merchant", takesValue: true, help: "only this merchant id", valueName: "M"),
    ]

    static func run(_ arguments: Arguments) async throws(CLIError) -> Int32 {
        let configuration = try Setup.configuration(try arguments.required("config")).configuration
        let only = arguments.value("merchant")
        if let only, !configuration.merchants.contains(where: { $0.merchantID == only }) {
            throw .usage("merchant \(only) is not in \(configuration.configFile)")
        }
        let credentials = try Setup.credentials(configuration).filter { only == nil || $0.merchantID == only }
        let eligible = credentials.filter { $0.platformCertificates != nil }
        guard !eligible.isEmpty else {
            throw .configuration(
                "no merchant\(only.map { " \($0)" } ?? "") has an apiv3_key_file: "
                    + "public-key mode verifies without platform certificates")
        }
        let logger = Logger(sink: InMemoryLogSink())
        let transport = try Setup.transport(configuration, logger: logger)
        var failures: [String] = []
        for merchant in eligible {
            let client = Setup.client(configuration, credentials: merchant, transport: transport, logger: logger)
            switch await client.downloadPlatformCertificates() {
            case .success(let set):
                Output.line("merchant \(merchant.merchantID) (\(merchant.verificationMode) mode):")
                for line in describe(set) { Output.line("  " + line) }
            case .failure(let error):
                failures.append("merchant \(merchant.merchantID): \(error)")
            case nil:
                break
            }
        }
        guard failures.isEmpty else {
            throw .runtime("cannot download platform certificates:\n  - " + failures.joined(separator: "\n  - "))
        }
        return 0
    }

    /// One line per certificate: serial, validity, and whether it is valid now.
    static func describe(_ set: PlatformCertificateSet, now: Date = Date()) -> [String] {
        let seconds = Int64(now.timeIntervalSince1970)
        return set.certificates.map { certificate in
            let state =
                certificate.isValid(at: seconds)
                ? "valid" : certificate.notBefore > seconds ? "not yet valid" : "expired"
            return "\(certificate.serialNumber)  \(PlatformCertificateSet.utc(certificate.notBefore)) … "
                + "\(PlatformCertificateSet.utc(certificate.notAfter))  \(state)"
        }
    }
}
