import COpenSSL
import Foundation
import Testing

@testable import WatcherCrypto

@Suite("Certificate authority")
struct CertificateAuthorityTests {
    @Test func aCertificateIssuedByTheAuthorityVerifiesForEachOfItsNames() throws {
        let authority = try CertificateAuthority(commonName: "watcher test CA")
        let leaf = try authority.issue(
            commonName: "localhost", dnsNames: ["localhost", "api.wechatpay.test"], ipAddresses: ["127.0.0.1", "::1"])
        for host in ["localhost", "api.wechatpay.test"] {
            #expect(verify(leaf, trusting: authority, host: host) == X509_V_OK)
        }
        for address in ["127.0.0.1", "::1"] {
            #expect(verify(leaf, trusting: authority, ipAddress: address) == X509_V_OK)
        }
    }

    @Test func aCertificateIsRefusedForANameItDoesNotCarry() throws {
        let authority = try CertificateAuthority(commonName: "watcher test CA")
        let leaf = try authority.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
        #expect(verify(leaf, trusting: authority, host: "api.mch.weixin.qq.com") == X509_V_ERR_HOSTNAME_MISMATCH)
        #expect(verify(leaf, trusting: authority, ipAddress: "127.0.0.2") == X509_V_ERR_IP_ADDRESS_MISMATCH)
    }

    @Test func expiredAndNotYetValidCertificatesAreRefused() throws {
        let authority = try CertificateAuthority(commonName: "watcher test CA")
        let expired = try authority.issue(
            commonName: "localhost", dnsNames: ["localhost"], validity: .fromNow(-2 * 86_400, to: -86_400))
        let future = try authority.issue(
            commonName: "localhost", dnsNames: ["localhost"], validity: .fromNow(86_400, to: 2 * 86_400))
        #expect(verify(expired, trusting: authority, host: "localhost") == X509_V_ERR_CERT_HAS_EXPIRED)
        #expect(verify(future, trusting: authority, host: "localhost") == X509_V_ERR_CERT_NOT_YET_VALID)
    }

    @Test func aCertificateFromAnotherAuthorityIsRefused() throws {
        let trusted = try CertificateAuthority(commonName: "watcher test CA")
        let untrusted = try CertificateAuthority(commonName: "untrusted test CA")
        let leaf = try untrusted.issue(commonName: "localhost", dnsNames: ["localhost"])
        #expect(verify(leaf, trusting: trusted, host: "localhost") == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
    }

    @Test func theCertificateCarriesTheRequestedFields() throws {
        let authority = try CertificateAuthority(commonName: "watcher test CA")
        let validity = CertificateValidity(notBefore: 1_700_000_000, notAfter: 1_800_000_000)
        let leaf = try authority.issue(commonName: "simulator", dnsNames: ["localhost"], validity: validity)
        let certificate = try parse(leaf.certificatePEM)
        defer { X509_free(certificate) }
        #expect(commonName(X509_get_subject_name(certificate)) == "simulator")
        #expect(commonName(X509_get_issuer_name(certificate)) == "watcher test CA")
        #expect(seconds(X509_get0_notBefore(certificate)) == validity.notBefore)
        #expect(seconds(X509_get0_notAfter(certificate)) == validity.notAfter)
        #expect(X509_get_version(certificate) == 2)
        #expect(X509_check_ca(certificate) == 0)
    }

    @Test func everyCertificateHasItsOwnSerialAndKey() throws {
        let authority = try CertificateAuthority(commonName: "watcher test CA")
        let first = try authority.issue(commonName: "localhost")
        let second = try authority.issue(commonName: "localhost")
        #expect(try serial(first) != serial(second))
        #expect(first.privateKeyPEM != second.privateKeyPEM)
    }

    @Test func aNameWithACommaIsRefusedBeforeAnythingIsIssued() throws {
        let authority = try CertificateAuthority(commonName: "watcher test CA")
        #expect(throws: CryptoError.self) { try authority.issue(commonName: "x", dnsNames: ["a,IP:10.0.0.1"]) }
    }

    @Test func theKeyFileIsWrittenForItsOwnerOnly() throws {
        let authority = try CertificateAuthority(commonName: "watcher test CA")
        let leaf = try authority.issue(commonName: "localhost", dnsNames: ["localhost"])
        try TemporaryDirectory.with { directory in
            let certificatePath = directory + "/server.pem"
            let keyPath = directory + "/server-key.pem"
            try leaf.write(certificatePath: certificatePath, privateKeyPath: keyPath)
            #expect(TemporaryDirectory.mode(of: keyPath) == 0o600)
            #expect(TemporaryDirectory.mode(of: certificatePath) == 0o644)
            #expect(try String(contentsOfFile: certificatePath, encoding: .utf8) == leaf.certificatePEM)
            #expect(try String(contentsOfFile: keyPath, encoding: .utf8) == leaf.privateKeyPEM)
            #expect(leaf.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        }
    }

    // MARK: - Checks made with OpenSSL directly, independently of the code under test

    private struct ParseFailure: Error {}

    /// X509_verify_cert's verdict on `leaf` against a store holding only `authority`: X509_V_OK or the error code.
    private func verify(
        _ leaf: IssuedCertificate, trusting authority: CertificateAuthority, host: String? = nil,
        ipAddress: String? = nil
    ) -> Int32 {
        guard let certificate = try? parse(leaf.certificatePEM),
            let root = try? parse(authority.pem.certificatePEM)
        else { return -1 }
        defer {
            X509_free(certificate)
            X509_free(root)
        }
        let store = X509_STORE_new()
        defer { X509_STORE_free(store) }
        X509_STORE_add_cert(store, root)
        let context = X509_STORE_CTX_new()
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, certificate, nil) == 1 else { return -1 }
        let parameters = X509_STORE_CTX_get0_param(context)
        if let host { X509_VERIFY_PARAM_set1_host(parameters, host, 0) }
        if let ipAddress { X509_VERIFY_PARAM_set1_ip_asc(parameters, ipAddress) }
        let verdict = X509_verify_cert(context)
        let error = X509_STORE_CTX_get_error(context)
        return verdict == 1 ? X509_V_OK : error
    }

    private func parse(_ pem: String) throws -> OpaquePointer {
        let parsed = Array(pem.utf8).withUnsafeBytes { bytes in
            // The BIO borrows the bytes, so it must not outlive this closure.
            let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count))
            defer { BIO_free(bio) }
            return PEM_read_bio_X509(bio, nil, nil, nil)
        }
        guard let parsed else { throw ParseFailure() }
        return parsed
    }

    private func commonName(_ name: OpaquePointer?) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let length = X509_NAME_get_text_by_NID(name, NID_commonName, &buffer, Int32(buffer.count))
        return String(decoding: buffer.prefix(Int(max(length, 0))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func seconds(_ time: UnsafePointer<ASN1_TIME>?) -> Int64 {
        var parsed = tm()
        guard ASN1_TIME_to_tm(time, &parsed) == 1 else { return -1 }
        return Int64(timegm(&parsed))
    }

    private func serial(_ issued: IssuedCertificate) throws -> String {
        let certificate = try parse(issued.certificatePEM)
        defer { X509_free(certificate) }
        let number = ASN1_INTEGER_to_BN(X509_get_serialNumber(certificate), nil)
        defer { BN_free(number) }
        let hex = BN_bn2hex(number)
        defer { CRYPTO_free(hex, #file, #line) }
        return hex.map { String(cString: $0) } ?? ""
    }
}
