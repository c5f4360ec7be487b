import Foundation
import WatcherCrypto

/// The body of `GET /v3/certificates` as WeChat Pay writes it: each certificate sealed with the merchant's
/// APIv3 key (AEAD_AES_256_GCM, a fresh 12-character nonce, associated data "certificate").
package enum PlatformCertificateAnswer {
    /// One entry of the answer: the serial it is announced with, and the certificate.
    package struct Entry: Sendable {
        /// `serial_no`; normally the certificate's own serial.
        package var serial: String
        /// The certificate as PEM.
        package var pem: String
        /// `effective_time` and `expire_time`, informative only (the watcher reads the certificate).
        package var notBefore: Int64
        /// See `notBefore`.
        package var notAfter: Int64

        /// An entry from its parts.
        package init(serial: String, pem: String, notBefore: Int64, notAfter: Int64) {
            self.serial = serial
            self.pem = pem
            self.notBefore = notBefore
            self.notAfter = notAfter
        }
    }

    /// The JSON body for `entries`, sealed with `apiv3Key`.
    package static func body(_ entries: [Entry], apiv3Key: [UInt8]) throws -> [UInt8] {
        let data = try entries.map { entry throws -> [String: Any] in
            let nonce = SecureRandom.alphanumeric(count: 12)
            let sealed = try AES256GCM.seal(
                Array(entry.pem.utf8), key: apiv3Key, nonce: Array(nonce.utf8),
                associatedData: Array("certificate".utf8))
            return [
                "serial_no": entry.serial,
                "effective_time": Self.time(entry.notBefore),
                "expire_time": Self.time(entry.notAfter),
                "encrypt_certificate": [
                    "algorithm": "AEAD_AES_256_GCM", "nonce": nonce, "associated_data": "certificate",
                    "ciphertext": StrictBase64.encode(sealed),
                ],
            ]
        }
        return Array(
            try JSONSerialization.data(withJSONObject: ["data": data], options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    /// `2030-01-01T08:00:00+08:00`, the shape WeChat Pay uses.
    private static func time(_ seconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
