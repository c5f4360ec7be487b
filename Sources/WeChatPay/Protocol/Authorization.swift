import Foundation
import WatcherCrypto

/// The scheme name of the only signature algorithm APIv3 uses.
package let wechatpaySignatureScheme = "WECHATPAY2-SHA256-RSA2048"

/// The fields of an `Authorization: WECHATPAY2-SHA256-RSA2048 …` header.
package struct AuthorizationHeader: Sendable, Equatable {
    /// The merchant id.
    package var mchid: String
    /// The request nonce.
    package var nonce: String
    /// Unix time in seconds, as a decimal string.
    package var timestamp: String
    /// The merchant API certificate serial.
    package var serial: String
    /// The Base64 signature.
    package var signature: String

    /// Creates the fields.
    package init(mchid: String, nonce: String, timestamp: String, serial: String, signature: String) {
        self.mchid = mchid
        self.nonce = nonce
        self.timestamp = timestamp
        self.serial = serial
        self.signature = signature
    }

    /// The header value, in the field order the Go and Java SDKs use.
    package var value: String {
        "\(wechatpaySignatureScheme) mchid=\"\(mchid)\",nonce_str=\"\(nonce)\",timestamp=\"\(timestamp)\","
            + "serial_no=\"\(serial)\",signature=\"\(signature)\""
    }

    /// Parses a header value; nil when the scheme is wrong or a field is missing. Field order is free.
    package static func parse(_ value: String) -> AuthorizationHeader? {
        let prefix = wechatpaySignatureScheme + " "
        guard value.hasPrefix(prefix) else { return nil }
        var fields: [String: String] = [:]
        for part in value.dropFirst(prefix.count).split(separator: ",") {
            guard let equals = part.firstIndex(of: "=") else { return nil }
            let name = part[..<equals].trimmingCharacters(in: .whitespaces)
            var quoted = part[part.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard quoted.count >= 2, quoted.first == "\"", quoted.last == "\"" else { return nil }
            quoted = String(quoted.dropFirst().dropLast())
            fields[name] = quoted
        }
        guard let mchid = fields["mchid"], let nonce = fields["nonce_str"], let timestamp = fields["timestamp"],
            let serial = fields["serial_no"], let signature = fields["signature"]
        else { return nil }
        return AuthorizationHeader(
            mchid: mchid, nonce: nonce, timestamp: timestamp, serial: serial, signature: signature)
    }
}

/// Signs requests for one merchant with its API private key.
package struct RequestSigner: Sendable {
    /// The merchant id.
    package let mchid: String
    /// The serial number of the merchant API certificate whose key signs.
    package let certificateSerial: String
    private let privateKey: RSAPrivateKey

    /// Creates a signer.
    package init(mchid: String, certificateSerial: String, privateKey: RSAPrivateKey) {
        self.mchid = mchid
        self.certificateSerial = certificateSerial
        self.privateKey = privateKey
    }

    /// Signs one request and returns the `Authorization` header fields.
    package func authorize(
        _ request: APIRequest,
        body: String = "",
        timestamp: Int64,
        nonce: String
    ) throws(CryptoError) -> AuthorizationHeader {
        let message = SignatureMessage.request(
            method: request.method,
            canonicalURL: request.canonicalURL,
            timestamp: String(timestamp),
            nonce: nonce,
            body: body
        )
        let signature = try privateKey.signSHA256(Array(message.utf8))
        return AuthorizationHeader(
            mchid: mchid,
            nonce: nonce,
            timestamp: String(timestamp),
            serial: certificateSerial,
            signature: StrictBase64.encode(signature)
        )
    }
}
