import Foundation
import WatcherCrypto

/// Turns the body of `GET /v3/certificates` into certificates: each entry decrypted with the APIv3 key
/// (AEAD_AES_256_GCM), parsed, and checked against the serial it was announced with.
package enum PlatformCertificateDecoder {
    private struct Document: Decodable {
        var data: [Entry]
    }

    private struct Entry: Decodable {
        var serialNumber: String
        var encryptCertificate: Sealed

        enum CodingKeys: String, CodingKey {
            case serialNumber = "serial_no"
            case encryptCertificate = "encrypt_certificate"
        }
    }

    private struct Sealed: Decodable {
        var algorithm: String
        var nonce: String
        var associatedData: String?
        var ciphertext: String

        enum CodingKeys: String, CodingKey {
            case algorithm, nonce, ciphertext
            case associatedData = "associated_data"
        }
    }

    /// The certificates in `body` still valid at `now` (seconds since 1970) or later; expired ones are dropped.
    ///
    /// - Parameter keyFile: names the key in the wrong-key error.
    package static func decode(_ body: [UInt8], apiv3Key: [UInt8], keyFile: String, now: Int64)
        throws(PlatformCertificateError) -> [X509Certificate]
    {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: Data(body))
        } catch {
            throw .malformed("not a {\"data\":[…]} document of certificates (\(error))")
        }
        var certificates: [X509Certificate] = []
        var opened: String?
        var sealedShut: String?
        for entry in document.data {
            do throws(PlatformCertificateError) {
                let certificate = try decrypt(entry, apiv3Key: apiv3Key, keyFile: keyFile)
                opened = opened ?? entry.serialNumber
                if certificate.notAfter >= now { certificates.append(certificate) }
            } catch .wrongAPIv3Key(_, let serial) {
                sealedShut = sealedShut ?? serial
            }
        }
        if let sealedShut {
            // One entry opening with the key proves the key right: a tag that fails beside it is a damaged entry.
            guard let opened else { throw .wrongAPIv3Key(keyFile: keyFile, serial: sealedShut) }
            throw .malformed(
                "certificate \(sealedShut) fails its AES-256-GCM tag although certificate \(opened) decrypts with "
                    + "the same key: the entry was damaged or altered on the way (the APIv3 key is right)")
        }
        return certificates
    }

    private static func decrypt(_ entry: Entry, apiv3Key: [UInt8], keyFile: String)
        throws(PlatformCertificateError) -> X509Certificate
    {
        let sealed = entry.encryptCertificate
        guard sealed.algorithm == "AEAD_AES_256_GCM" else {
            throw .malformed(
                "certificate \(entry.serialNumber) is encrypted with \(sealed.algorithm), not AEAD_AES_256_GCM")
        }
        guard let ciphertext = StrictBase64.decode(sealed.ciphertext) else {
            throw .malformed("the ciphertext of certificate \(entry.serialNumber) is not Base64")
        }
        let plaintext: [UInt8]
        do {
            plaintext = try AES256GCM.open(
                ciphertext, key: apiv3Key, nonce: Array(sealed.nonce.utf8),
                associatedData: Array((sealed.associatedData ?? "").utf8))
        } catch .authenticationFailed {
            throw .wrongAPIv3Key(keyFile: keyFile, serial: entry.serialNumber)
        } catch {
            throw .malformed("certificate \(entry.serialNumber) cannot be decrypted: \(error)")
        }
        let certificate: X509Certificate
        do {
            certificate = try X509Certificate(
                pem: String(decoding: plaintext, as: UTF8.self), source: "platform certificate \(entry.serialNumber)")
        } catch {
            throw .malformed("\(error)")
        }
        guard
            PlatformCertificateSet.normalized(certificate.serialNumber)
                == PlatformCertificateSet.normalized(entry.serialNumber)
        else {
            throw .malformed(
                "entry serial_no \(entry.serialNumber) holds a certificate with serial \(certificate.serialNumber)")
        }
        return certificate
    }

    /// Whether a downloaded answer may be believed. The first download has nothing to check a signature with and
    /// is trusted through the AEAD tags (only the holder of the APIv3 key could have made them); every later one
    /// must verify with a certificate already held, or one inside this same authenticated answer.
    package static func trustFailure(
        headers: [HTTPHeader], body: [UInt8], now: Date, held: PlatformCertificateSet,
        downloaded: [X509Certificate], publicKey: (id: String, key: RSAPublicKey)?
    ) -> VerificationFailure? {
        guard !held.isEmpty else { return nil }
        let keys = VerificationKeys(
            publicKey: publicKey, certificates: PlatformCertificateSet(held.certificates + downloaded))
        return ResponseVerifier(keys: keys).failure(headers: headers, body: body, now: now)
    }
}
