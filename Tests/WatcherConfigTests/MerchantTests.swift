import Testing
import WatcherConfig

/// Merchant identifiers have the shapes WeChat Pay issues, and each merchant appears once.
@Suite struct MerchantTests {
    @Test(arguments: ["19000x0001", "", "123456789012345678901234567890123", "１９００"])
    func badMchidIsRefused(merchantID: String) {
        let text = Fixture.file(merchants: [Fixture.merchant(["mchid": merchantID.debugDescription])])
        #expect(
            Fixture.problems(text) == [
                "merchants[0].mchid: \(merchantID.debugDescription) is not a merchant number; expected 1 to 32 ASCII digits"
            ]
        )
    }

    @Test func badCertificateSerialIsRefused() {
        let text = Fixture.file(merchants: [Fixture.merchant(["certificate_serial": #""1DDE55AD98ED71G""#])])
        #expect(
            Fixture.problems(text) == [
                #"merchants[0].certificate_serial: "1DDE55AD98ED71G" is not a certificate serial number; "#
                    + "expected 1 to 64 hexadecimal digits"
            ]
        )
    }

    @Test func lowercaseCertificateSerialIsKeptAsWritten() throws {
        let text = Fixture.file(merchants: [Fixture.merchant(["certificate_serial": #""1dde55ad98ed71d6""#])])
        #expect(try Fixture.load(text).configuration.merchants[0].certificateSerial == "1dde55ad98ed71d6")
    }

    @Test func publicKeyIDWithASpaceIsRefused() {
        let text = Fixture.file(merchants: [Fixture.merchant(["wechatpay_public_key_id": #""PUB_KEY_ID_01 2""#])])
        #expect(
            Fixture.problems(text) == [
                #"merchants[0].wechatpay_public_key_id: "PUB_KEY_ID_01 2" is not a public key ID; "#
                    + "expected printable ASCII without spaces"
            ]
        )
        let empty = Fixture.file(merchants: [Fixture.merchant(["wechatpay_public_key_id": #""""#])])
        #expect(Fixture.problems(empty) == ["merchants[0].wechatpay_public_key_id: the public key ID is empty"])
    }

    @Test func publicKeyIDThatLooksLikeACertificateSerialPointsToTheAPIv3KeyFile() throws {
        let text = Fixture.file(merchants: [
            Fixture.merchant(["wechatpay_public_key_id": #""5157F09EFDC096DE15EBE81A47057A72""#])
        ])
        let loaded = try Fixture.load(text)
        #expect(loaded.warnings.count == 1)
        #expect(
            loaded.warnings.first?.hasPrefix(
                #"merchants[0].wechatpay_public_key_id "5157F09EFDC096DE15EBE81A47057A72" does not start with "PUB_KEY_ID_""#
            ) == true)
        #expect(loaded.warnings.first?.contains("configures apiv3_key_file instead") == true)
    }

    @Test func duplicateMchidNamesBothIndexes() {
        let other = Fixture.merchant(["mchid": #""1900000002""#])
        let text = Fixture.file(merchants: [Fixture.merchant(), other, Fixture.merchant()])
        #expect(
            Fixture.problems(text) == [
                #"merchants[2].mchid: "1900000001" is also merchants[0].mchid; list each merchant once"#
            ]
        )
    }

    @Test func emptyMerchantListIsRefused() {
        #expect(
            Fixture.problems(Fixture.file(merchants: [])) == [
                "merchants: the list is empty; configure at least one merchant"
            ])
    }

    @Test func pathStartingWithTildeIsRefusedBecauseItIsNotExpanded() {
        let text = Fixture.file(merchants: [Fixture.merchant(["private_key_file": #""~/keys/apiclient_key.pem""#])])
        #expect(
            Fixture.problems(text) == [
                #"merchants[0].private_key_file: the path "~/keys/apiclient_key.pem" starts with "~", which is not "#
                    + "expanded (the daemon runs under systemd, without a home directory); write the absolute path"
            ]
        )
    }

    @Test func emptyPathIsRefused() {
        #expect(Fixture.problems(Fixture.file(["database": #""""#])) == ["database: the path is empty"])
    }
}
