import Foundation
import WatcherCrypto
import WatcherSync
import WeChatPay

/// An ``HTTPTransport`` that answers from a closure and records every request, for tests without sockets.
package final class FakeTransport: HTTPTransport {
    private let responder: @Sendable (HTTPRequest) async throws(TransportFailure) -> HTTPResponse
    private let recorded = Locked<[HTTPRequest]>([])

    /// Creates a transport answering with `responder`.
    package init(_ responder: @escaping @Sendable (HTTPRequest) async throws(TransportFailure) -> HTTPResponse) {
        self.responder = responder
    }

    /// The requests sent so far.
    package var requests: [HTTPRequest] { recorded.withLock { $0 } }

    /// Sends the request; see ``HTTPTransport``.
    package func send(_ request: HTTPRequest, timeout: Duration, maxBodyBytes: Int) async throws(TransportFailure)
        -> HTTPResponse
    {
        recorded.withLock { $0.append(request) }
        return try await responder(request)
    }
}

/// Builds answers the way WeChat Pay signs them.
package enum SignedAnswers {
    /// A 200 answer with `body`, signed by `key` over `timestamp\nnonce\nbody\n`.
    package static func ok(
        _ body: String,
        key: RSAPrivateKey = TestKeys.platform,
        keyID: String = TestKeys.platformKeyID,
        timestamp: Int64 = Int64(Date().timeIntervalSince1970),
        nonce: String = "8D2E0C8A7B3F4E1D9A6B5C4D3E2F1A0B"
    ) -> HTTPResponse {
        let message = SignatureMessage.response(timestamp: String(timestamp), nonce: nonce, body: Array(body.utf8))
        let signature = StrictBase64.encode(try! key.signSHA256(message))
        return HTTPResponse(
            status: 200,
            headers: [
                HTTPHeader("Content-Type", "application/json"),
                HTTPHeader("Request-ID", "08F5B8C2B506102C18FDDFEEA30620BE821E28EDC405-0"),
                HTTPHeader("Wechatpay-Timestamp", String(timestamp)),
                HTTPHeader("Wechatpay-Nonce", nonce),
                HTTPHeader("Wechatpay-Signature", signature),
                HTTPHeader("Wechatpay-Serial", keyID),
                HTTPHeader("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048"),
            ],
            body: Array(body.utf8)
        )
    }

    /// An unsigned error answer.
    package static func error(_ status: Int, code: String, message: String = "错误") -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: [HTTPHeader("Request-ID", "08F5B8C2B506102C18FDDFEEA30620BE821E28EDC405-9")],
            body: Array("{\"code\":\"\(code)\",\"message\":\"\(message)\"}".utf8)
        )
    }
}

/// Credentials for merchant `1900000001` with the reference key, trusting the test platform key.
package func testCredentials(merchantID: String = "1900000001") -> MerchantCredentials {
    MerchantCredentials(
        merchantID: merchantID,
        certificateSerial: "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
        privateKey: TestKeys.merchant,
        wechatpayPublicKeyID: TestKeys.platformKeyID,
        wechatpayPublicKey: TestKeys.platform.publicKey
    )
}
