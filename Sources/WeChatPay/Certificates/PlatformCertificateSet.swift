import Foundation
import WatcherCrypto
import WatcherLog

/// The WeChat Pay platform certificates one merchant holds, looked up by the serial an answer names.
package struct PlatformCertificateSet: Sendable {
    /// The certificates, newest notBefore first.
    package let certificates: [X509Certificate]

    /// An empty set, before the first download.
    package static let empty = PlatformCertificateSet([])

    /// A set of `certificates`; a serial given twice keeps the first.
    package init(_ certificates: [X509Certificate]) {
        var seen: Set<String> = []
        self.certificates = certificates.filter { seen.insert(Self.normalized($0.serialNumber)).inserted }
            .sorted { $0.notBefore > $1.notBefore }
    }

    /// True before anything was downloaded or loaded.
    package var isEmpty: Bool { certificates.isEmpty }

    /// The serials, as the certificates spell them.
    package var serials: [String] { certificates.map(\.serialNumber) }

    /// The certificate with `serial`, which is hexadecimal compared without regard to case or leading zeros
    /// (WeChat Pay sends uppercase; a header that went through other hands may not be).
    package func certificate(serial: String) -> X509Certificate? {
        let wanted = Self.normalized(serial)
        return certificates.first { Self.normalized($0.serialNumber) == wanted }
    }

    /// The certificate that has become valid most recently and is still valid at `seconds`: the one whose serial
    /// a request names as `Wechatpay-Serial`.
    package func newestValid(at seconds: Int64) -> X509Certificate? {
        certificates.first { $0.isValid(at: seconds) }
    }

    /// The set to hold after a download that produced `downloaded`: never one without a certificate valid at
    /// `seconds`, so a failed or empty download, or one of certificates that start later, leaves the certificates
    /// that verify today in place. Nil means keep the current set.
    package func replaced(by downloaded: PlatformCertificateSet, at seconds: Int64) -> PlatformCertificateSet? {
        downloaded.newestValid(at: seconds) == nil ? nil : downloaded
    }

    /// From this many seconds before its notAfter a certificate is reported as expiring: WeChat Pay issues the
    /// next one about that long before.
    package static let expiryWarningSeconds = 10.0 * 86_400

    /// The certificates that end within ``expiryWarningSeconds`` of `now` (seconds since 1970).
    package func expiring(at now: Double) -> [X509Certificate] {
        certificates.filter { Double($0.notAfter) - now < Self.expiryWarningSeconds }
    }

    /// Uppercase, without leading zeros: "0a1B" and "A1B" name the same certificate.
    static func normalized(_ serial: String) -> String {
        let upper = serial.uppercased()
        let trimmed = upper.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }
}

extension PlatformCertificateSet {
    /// `2030-01-01T00:00:00Z` for seconds since 1970: how validity is written in logs and command output.
    package static func utc(_ seconds: Int64) -> String {
        Timestamp.rfc3339(wholeSeconds: seconds)
    }
}
