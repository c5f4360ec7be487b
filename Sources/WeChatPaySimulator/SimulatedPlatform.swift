import Foundation
import LoopbackHTTPServer
import WatcherCrypto
import WatcherSync
import WeChatPay

/// A WeChat Pay platform certificate the simulator holds: its serial, its private key (to sign answers) and the
/// certificate it announces on `/v3/certificates`.
package struct SimulatedPlatformCertificate: Sendable {
    /// The serial, uppercase hexadecimal.
    package var serial: String
    /// The key that signs answers naming this serial.
    package var key: RSAPrivateKey
    /// The certificate as PEM.
    package var pem: String
    /// The first second it is valid, since 1970.
    package var notBefore: Int64
    /// The last second it is valid.
    package var notAfter: Int64

    /// A fresh RSA-2048 key and a certificate for it with `serial`, issued by a throw-away authority.
    package static func make(serial: String, validFrom start: Int64 = -3_600, to end: Int64 = 365 * 86_400) throws
        -> SimulatedPlatformCertificate
    {
        let key = try RSAPrivateKey.generate()
        let validity = CertificateValidity.fromNow(start, to: end)
        let authority = try CertificateAuthority(commonName: "Tenpay.com Root CA (simulated)")
        let pem = try authority.issuePlatformCertificate(for: key, serial: serial, validity: validity)
        return SimulatedPlatformCertificate(
            serial: serial, key: key, pem: pem, notBefore: validity.notBefore, notAfter: validity.notAfter)
    }
}

/// Which key signs the simulator's answers.
package enum AnswerSigning: Sendable, Equatable {
    /// The WeChat Pay public key (`PUB_KEY_ID_…`): public-key mode.
    case publicKey
    /// The platform certificate with this serial: platform-certificate mode.
    case certificate(serial: String)
    /// The public key and the certificate with this serial in turn: a merchant in the migration.
    case alternating(serial: String)
}

/// The simulator's platform-certificate side: the certificates `/v3/certificates` announces, the key that signs
/// answers, and how many downloads there were. Tests change it while a watcher runs (a rotation).
package final class SimulatedPlatform: Sendable {
    private struct State {
        var certificates: [SimulatedPlatformCertificate]
        var signing: AnswerSigning
        var turn = 0
        var downloads: [String: Int] = [:]
    }

    private let state: Locked<State>

    init(certificates: [SimulatedPlatformCertificate], signing: AnswerSigning) {
        state = Locked(State(certificates: certificates, signing: signing))
    }

    /// Adds a certificate to what `/v3/certificates` announces (the first step of a rotation).
    package func announce(_ certificate: SimulatedPlatformCertificate) {
        state.withLock { $0.certificates.append(certificate) }
    }

    /// Changes the key that signs answers (the second step of a rotation).
    package func sign(with signing: AnswerSigning) {
        state.withLock { $0.signing = signing }
    }

    /// `/v3/certificates` answers sent, by merchant.
    package var downloads: [String: Int] { state.withLock { $0.downloads } }

    /// The key and serial for the next answer; `publicKey` is the configured platform key and its id.
    func signer(publicKey: (key: RSAPrivateKey, id: String)) -> (key: RSAPrivateKey, serial: String) {
        state.withLock { state in
            let serial: String
            switch state.signing {
            case .publicKey: return (publicKey.key, publicKey.id)
            case .certificate(let chosen): serial = chosen
            case .alternating(let chosen):
                state.turn += 1
                guard state.turn % 2 == 0 else { return (publicKey.key, publicKey.id) }
                serial = chosen
            }
            guard let certificate = state.certificates.first(where: { $0.serial == serial }) else {
                return (publicKey.key, publicKey.id)
            }
            return (certificate.key, certificate.serial)
        }
    }

    /// `GET /v3/certificates` for `merchant`: 404 without an APIv3 key or without certificates, as WeChat Pay
    /// answers a merchant that only has a public key.
    func certificatesBody(for merchant: SimulatedMerchant) -> Result<[UInt8], SimulatorRefusal> {
        let certificates = state.withLock { state in
            state.downloads[merchant.mchid, default: 0] += 1
            return state.certificates
        }
        guard let apiv3Key = merchant.apiv3Key, !certificates.isEmpty else {
            return .failure(SimulatorRefusal(status: 404, code: "RESOURCE_NOT_EXISTS", message: "无可用的平台证书"))
        }
        let entries = certificates.map {
            PlatformCertificateAnswer.Entry(
                serial: $0.serial, pem: $0.pem, notBefore: $0.notBefore, notAfter: $0.notAfter)
        }
        do {
            return .success(try PlatformCertificateAnswer.body(entries, apiv3Key: apiv3Key))
        } catch {
            return .failure(SimulatorRefusal(status: 500, code: "SYSTEM_ERROR", message: "\(error)"))
        }
    }
}
