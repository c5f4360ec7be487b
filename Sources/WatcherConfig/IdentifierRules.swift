/// The rules for the merchant identifiers WeChat Pay issues.
enum IdentifierRules {
    /// The problem with a `mchid`, if any: 1 to 32 ASCII digits.
    static func mchidProblem(_ merchantID: String) -> String? {
        let bytes = Array(merchantID.utf8)
        guard (1...32).contains(bytes.count), bytes.allSatisfy(isDigit) else {
            return "\(JSONValue.quoted(merchantID)) is not a merchant number; expected 1 to 32 ASCII digits"
        }
        return nil
    }

    /// The problem with a `certificate_serial`, if any: 1 to 64 hexadecimal digits, either case.
    static func certificateSerialProblem(_ serial: String) -> String? {
        let bytes = Array(serial.utf8)
        guard (1...64).contains(bytes.count), bytes.allSatisfy(isHexDigit) else {
            return "\(JSONValue.quoted(serial)) is not a certificate serial number; expected 1 to 64 hexadecimal digits"
        }
        return nil
    }

    /// The problem with a `wechatpay_public_key_id`, if any: non-empty printable ASCII without spaces.
    static func publicKeyIDProblem(_ id: String) -> String? {
        if id.isEmpty { return "the public key ID is empty" }
        guard id.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            return "\(JSONValue.quoted(id)) is not a public key ID; expected printable ASCII without spaces"
        }
        return nil
    }

    /// A warning for a public key ID that does not look like one, if any.
    static func publicKeyIDWarning(_ id: String) -> String? {
        guard !id.hasPrefix("PUB_KEY_ID_") else { return nil }
        return "\(JSONValue.quoted(id)) does not start with \"PUB_KEY_ID_\": check that this is the public key ID "
            + "from the merchant platform; a merchant that still verifies with WeChat Pay platform certificates "
            + "configures apiv3_key_file instead (or as well, during the migration)"
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }
}
