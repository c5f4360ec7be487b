import Testing
import WatcherConfig

@Suite("Configuration: the keys that verify answers decide the mode")
struct VerificationModeTests {
    @Test func apiv3KeyFileAloneIsPlatformCertificateMode() throws {
        let text = Fixture.file(merchants: [
            Fixture.merchant([
                "wechatpay_public_key_id": nil, "wechatpay_public_key_file": nil,
                "apiv3_key_file": #""apiv3_key.txt""#,
            ])
        ])
        let merchant = try Fixture.load(text).configuration.merchants[0]
        #expect(merchant.apiv3KeyFile == "/etc/wechatpay-watcher/apiv3_key.txt")
        #expect(merchant.wechatpayPublicKeyID == nil)
        #expect(merchant.wechatpayPublicKeyFile == nil)
    }

    @Test func allThreeIsTheMigration() throws {
        let text = Fixture.file(merchants: [Fixture.merchant(["apiv3_key_file": #""/etc/w/apiv3_key.txt""#])])
        let merchant = try Fixture.load(text).configuration.merchants[0]
        #expect(merchant.apiv3KeyFile == "/etc/w/apiv3_key.txt")
        #expect(merchant.wechatpayPublicKeyID == "PUB_KEY_ID_0119000000012024111200000000000001")
    }

    @Test func noVerificationKeyAtAllNamesTheThreeChoices() {
        let text = Fixture.file(merchants: [
            Fixture.merchant(["wechatpay_public_key_id": nil, "wechatpay_public_key_file": nil])
        ])
        #expect(
            Fixture.problems(text) == [
                "merchants[0].wechatpay_public_key_id: is missing: configure wechatpay_public_key_id and "
                    + "wechatpay_public_key_file (WeChat Pay public key), apiv3_key_file (platform certificates), "
                    + "or all three (during the migration)"
            ])
    }

    @Test func aPublicKeyIDWithoutItsFileIsRefusedEvenWithAnAPIv3Key() {
        let text = Fixture.file(merchants: [
            Fixture.merchant(["wechatpay_public_key_file": nil, "apiv3_key_file": #""/k""#])
        ])
        #expect(
            Fixture.problems(text) == [
                "merchants[0].wechatpay_public_key_file: is missing but wechatpay_public_key_id is given; "
                    + "the public key needs both its id and its file"
            ])
    }
}
