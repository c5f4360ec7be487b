import Foundation
import Testing
import WatcherCrypto
import WatcherTestSupport
import WeChatPay

@Suite("Response verification")
struct VerificationTests {
    let verifier = ResponseVerifier(publicKeyID: TestKeys.platformKeyID, publicKey: TestKeys.platform.publicKey)
    let body = #"{"task_id":"task_1","task_state":"PROCESSING"}"#

    func failure(of response: HTTPResponse, now: Date = Date()) -> VerificationFailure? {
        verifier.failure(headers: response.headers, body: response.body, now: now)
    }

    func replacing(_ name: String, with value: String?, in response: HTTPResponse) -> HTTPResponse {
        var changed = response
        changed.headers.removeAll { $0.name == name }
        if let value { changed.headers.append(HTTPHeader(name, value)) }
        return changed
    }

    @Test("a correctly signed, fresh answer verifies")
    func accepts() {
        #expect(failure(of: SignedAnswers.ok(body)) == nil)
    }

    @Test("header names are matched case-insensitively")
    func caseInsensitiveHeaders() {
        var response = SignedAnswers.ok(body)
        response.headers = response.headers.map { HTTPHeader($0.name.lowercased(), $0.value) }
        #expect(failure(of: response) == nil)
    }

    @Test("a body changed after signing is refused")
    func tamperedBody() {
        var response = SignedAnswers.ok(body)
        response.body = Array(#"{"task_id":"task_1","task_state":"SUCCESS"}"#.utf8)
        #expect(failure(of: response) == .signatureMismatch)
    }

    @Test("a serial other than the configured public key id is refused before any RSA work")
    func wrongSerial() {
        let response = replacing("Wechatpay-Serial", with: "PUB_KEY_ID_OTHER", in: SignedAnswers.ok(body))
        #expect(failure(of: response) == .unexpectedSerial(found: "PUB_KEY_ID_OTHER", expected: TestKeys.platformKeyID))
    }

    @Test("a timestamp 300 s or more away from now is refused, 299 s is accepted")
    func staleTimestamp() {
        let now = Date()
        let stamp = Int64(now.timeIntervalSince1970)
        #expect(
            failure(of: SignedAnswers.ok(body, timestamp: stamp - 300), now: now)
                == .staleTimestamp(timestamp: stamp - 300, skewSeconds: 300))
        #expect(
            failure(of: SignedAnswers.ok(body, timestamp: stamp + 300), now: now)
                == .staleTimestamp(timestamp: stamp + 300, skewSeconds: -300))
        #expect(failure(of: SignedAnswers.ok(body, timestamp: stamp - 299), now: now) == nil)
    }

    @Test("the WECHATPAY/SIGNTEST/ probe is a clean verification failure")
    func signtestProbe() {
        let probe = replacing("Wechatpay-Signature", with: "WECHATPAY/SIGNTEST/ZmFrZQ==", in: SignedAnswers.ok(body))
        #expect(failure(of: probe) == .probeSignature)
    }

    @Test(
        "malformed signatures fail cleanly, never crash",
        arguments: [
            ("not base64 !!", VerificationFailure.signatureNotBase64),
            ("c2hvcnQ=", .signatureWrongLength(found: 5, expected: 256)),
            ("WkFQ", .signatureWrongLength(found: 3, expected: 256)),
        ]
    )
    func malformedSignatures(signature: String, expected: VerificationFailure) {
        let response = replacing("Wechatpay-Signature", with: signature, in: SignedAnswers.ok(body))
        #expect(failure(of: response) == expected)
    }

    @Test("an empty signature counts as a missing header")
    func emptySignature() {
        let response = replacing("Wechatpay-Signature", with: "", in: SignedAnswers.ok(body))
        #expect(failure(of: response) == .missingHeader("Wechatpay-Signature"))
    }

    @Test("a right-length signature from another key is a mismatch")
    func otherKey() {
        #expect(failure(of: SignedAnswers.ok(body, key: TestKeys.stranger)) == .signatureMismatch)
    }

    @Test(
        "each of the four Wechatpay-* headers is required",
        arguments: ["Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial"]
    )
    func missingHeader(name: String) {
        #expect(failure(of: replacing(name, with: nil, in: SignedAnswers.ok(body))) == .missingHeader(name))
    }

    @Test("a non-numeric timestamp and a foreign signature type are refused")
    func malformedHeaders() {
        #expect(
            failure(of: replacing("Wechatpay-Timestamp", with: "12a", in: SignedAnswers.ok(body)))
                == .malformedTimestamp("12a"))
        #expect(
            failure(of: replacing("Wechatpay-Signature-Type", with: "HMAC-SHA256", in: SignedAnswers.ok(body)))
                == .unsupportedSignatureType("HMAC-SHA256")
        )
    }
}

@Suite("Error bodies")
struct ErrorBodyTests {
    @Test("code, message and detail are parsed from an error answer")
    func parses() {
        let body = #"{"code":"PARAM_ERROR","message":"参数错误","detail":{"field":"brand_id","issue":"missing"}}"#
        let parsed = APIErrorBody.parse(Array(body.utf8))
        #expect(
            parsed
                == APIErrorBody(
                    code: "PARAM_ERROR", message: "参数错误", detail: #"{"field":"brand_id","issue":"missing"}"#))
    }

    @Test(
        "bodies that are not an error document give nil",
        arguments: ["", "<html>502</html>", "[]", #"{"message":"x"}"#, #"{"code":5}"#])
    func refuses(body: String) {
        #expect(APIErrorBody.parse(Array(body.utf8)) == nil)
    }
}
