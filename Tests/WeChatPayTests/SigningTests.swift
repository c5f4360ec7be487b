import Testing
import WatcherCrypto
import WatcherTestSupport
import WeChatPay

@Suite("Request signing")
struct SigningTests {
    @Test("signing the bare message `source` with the wechatpay-go test key gives the published signature")
    func referenceVector() throws {
        let signature = try TestKeys.merchant.signSHA256(Array("source".utf8))
        #expect(StrictBase64.encode(signature) == TestKeys.referenceSignature)
    }

    @Test("the request message is five lines, each ending in a newline, so a GET ends in two")
    func messageConstruction() {
        let message = SignatureMessage.request(
            method: "GET",
            canonicalURL: "/v3/certificates",
            timestamp: "1624523846",
            nonce: "A1B2C3D4E5F6G7",
            body: ""
        )
        #expect(message == "GET\n/v3/certificates\n1624523846\nA1B2C3D4E5F6G7\n\n")
    }

    @Test("the Authorization header carries all five fields and its signature verifies over the message")
    func authorizationHeader() throws {
        let signer = RequestSigner(mchid: "1900000001", certificateSerial: "1DDE55AD", privateKey: TestKeys.merchant)
        let request = APIRequest(
            pathSegments: ["v3", "marketing", "partner", "product-coupon", "image-generation-tasks", "task_1"],
            query: [("brand_id", "120344"), ("image_generation_type", "COMBINE_IMAGE")]
        )
        let header = try signer.authorize(request, timestamp: 1_624_523_846, nonce: "A1B2C3D4E5F6G7")
        #expect(
            header.value.hasPrefix(
                "WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\",nonce_str=\"A1B2C3D4E5F6G7\",timestamp=\"1624523846\",serial_no=\"1DDE55AD\",signature=\""
            )
        )
        let message =
            "GET\n/v3/marketing/partner/product-coupon/image-generation-tasks/task_1?brand_id=120344&image_generation_type=COMBINE_IMAGE\n1624523846\nA1B2C3D4E5F6G7\n\n"
        let signature = try #require(StrictBase64.decode(header.signature))
        #expect(TestKeys.merchant.publicKey.isValidSignatureSHA256(signature, for: Array(message.utf8)))
        #expect(AuthorizationHeader.parse(header.value) == header)
    }

    @Test("Authorization parsing accepts any field order and refuses other schemes or missing fields")
    func authorizationParsing() {
        let reordered =
            "WECHATPAY2-SHA256-RSA2048 signature=\"c2ln\",serial_no=\"AB\",timestamp=\"1\",nonce_str=\"n\",mchid=\"19\""
        #expect(AuthorizationHeader.parse(reordered)?.mchid == "19")
        #expect(AuthorizationHeader.parse("Bearer token") == nil)
        #expect(AuthorizationHeader.parse("WECHATPAY2-SHA256-RSA2048 mchid=\"19\",nonce_str=\"n\"") == nil)
    }

    @Test("path segments and query values are percent-encoded once, and that text is what is signed and sent")
    func canonicalURL() {
        let request = APIRequest(pathSegments: ["v3", "coupons", "a b/c"], query: [("brand_id", "12&3"), ("x", "é")])
        #expect(request.canonicalURL == "/v3/coupons/a%20b%2Fc?brand_id=12%263&x=%C3%A9")
        let plain = APIRequest(pathSegments: ["v3", "tasks", "task_1-A~."], query: [("brand_id", "120344")])
        #expect(plain.canonicalURL == "/v3/tasks/task_1-A~.?brand_id=120344")
    }
}
