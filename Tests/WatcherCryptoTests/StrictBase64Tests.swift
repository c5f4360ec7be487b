import Foundation
import Testing
import WatcherCrypto

@Suite("Strict standard Base64")
struct StrictBase64Tests {
    @Test(
        "the standard's test vectors",
        arguments: [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ]
    )
    func rfcVectors(plain: String, encoded: String) {
        #expect(StrictBase64.encode(Array(plain.utf8)) == encoded)
        #expect(StrictBase64.decode(encoded) == Array(plain.utf8))
    }

    @Test("every length from 0 to 99 round-trips and matches Foundation")
    func roundTrip() {
        for length in 0..<100 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let encoded = StrictBase64.encode(bytes)
            #expect(encoded == Data(bytes).base64EncodedString())
            #expect(StrictBase64.decode(encoded) == bytes)
        }
    }

    @Test("all 256 byte values round-trip")
    func allBytes() {
        let bytes = (0...255).map { UInt8($0) }
        #expect(StrictBase64.decode(StrictBase64.encode(bytes)) == bytes)
    }

    @Test(
        "malformed input is rejected",
        arguments: [
            "Zm9vYg",  // missing padding
            "Zm9vYg=",  // incomplete padding
            "Zm9vY",  // length not a multiple of 4
            "Zm9v\nYmFy",  // newline inside
            "Zm9v YmFy",  // space inside
            "Zm9vYmE=\n",  // trailing newline
            " Zm9v",  // leading space
            "Zm9-",  // URL-safe alphabet
            "Zm9_",  // URL-safe alphabet
            "Zg==Zm9v",  // data after padding
            "Zm9=Yg==",  // padding in the middle
            "Z===",  // too much padding
            "====",  // only padding
            "Zm9vYmF\u{00E9}",  // not ASCII
            "Zh==",  // non-zero bits under the padding (canonical is Zg==)
            "Zm9=",  // non-zero bits under the padding (canonical is Zm8=)
            "WECHATPAY/SIGNTEST/abcd",  // the probe, 23 characters
        ]
    )
    func rejects(text: String) {
        #expect(StrictBase64.decode(text) == nil)
    }

    @Test("WECHATPAY/SIGNTEST/ probes never trap and never verify, whether or not they decode")
    func probes() throws {
        let publicKey = try RSAPublicKey(pem: Fixture.referenceSPKI)
        let message = Array("1624523846\nA1B2C3D4E5F6G7\n{}\n".utf8)
        for length in 0..<400 {
            let probe = "WECHATPAY/SIGNTEST/" + String(repeating: "x", count: length)
            if let decoded = StrictBase64.decode(probe) {
                #expect(!publicKey.isValidSignatureSHA256(decoded, for: message))
            }
        }
        #expect(StrictBase64.decode("WECHATPAY/SIGNTEST/abcde")?.count == 18)
    }
}
