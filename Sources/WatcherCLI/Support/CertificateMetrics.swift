import Foundation
import WatcherSystemd
import WeChatPay

/// What the clients know about verification keys, as Prometheus metrics: which key verified how many answers,
/// and how long each held platform certificate has left.
package enum CertificateMetrics {
    package static func families(_ clients: [WeChatPayClient], now: Date) -> [PrometheusTextfile.Family] {
        var verified = PrometheusTextfile.Family(
            name: "wechatpay_watcher_verified_answers_total",
            help: "2xx answers whose signature verified, by merchant and the key that verified them "
                + "(the public key id or a platform certificate serial).",
            kind: .counter)
        var expiresIn = PrometheusTextfile.Family(
            name: "wechatpay_watcher_platform_certificate_expires_in_seconds",
            help: "Seconds until each held platform certificate's notAfter.", kind: .gauge)
        var expiring = PrometheusTextfile.Family(
            name: "wechatpay_watcher_platform_certificates_expiring",
            help: "Held platform certificates that expire within 10 days.", kind: .gauge)
        for client in clients {
            for (key, count) in client.verifiedAnswersByKey.sorted(by: { $0.key < $1.key }) {
                verified.samples.append(.init(["merchant": client.merchantID, "key": key], Double(count)))
            }
            guard let held = client.platformCertificates else { continue }
            for certificate in held.certificates {
                let left = Double(certificate.notAfter) - now.timeIntervalSince1970
                expiresIn.samples.append(
                    .init(["merchant": client.merchantID, "serial": certificate.serialNumber], left))
            }
            let soon = held.expiring(at: now.timeIntervalSince1970).count
            expiring.samples.append(.init(["merchant": client.merchantID], Double(soon)))
        }
        return [verified, expiresIn, expiring]
    }
}
