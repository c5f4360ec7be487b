import Foundation
import WatcherCrypto
import WeChatPay

/// `verify …`: check an answer's signature by hand, with the same code the daemon uses.
enum VerifyCommand: Command {
    static let name = "verify"
    static let summary = "Check a WeChat Pay answer signature; prints `valid` (exit 0) or the reason (exit 1)."
    static let usage =
        "verify --public-key FILE --timestamp T --nonce N --signature SIG --body-file FILE [--ignore-clock]"
    static let discussion = """
        Take Wechatpay-Timestamp, Wechatpay-Nonce and Wechatpay-Signature from the answer's headers and save the
        body byte for byte (e.g. curl -o). --ignore-clock skips the 300 s freshness check, for old captures.
        """
    static let options: [Arguments.Option] = [
        .init(name: "public-key", takesValue: true, help: "WeChat Pay public key (PEM)", valueName: "FILE"),
        .init(name: "timestamp", takesValue: true, help: "Wechatpay-Timestamp", valueName: "T"),
        .init(name: "nonce", takesValue: true, help: "Wechatpay-Nonce", valueName: "N"),
        .init(name: "signature", takesValue: true, help: "Wechatpay-Signature", valueName: "SIG"),
        .init(name: "body-file", takesValue: true, help: "the raw answer body", valueName: "FILE"),
        .init(name: "ignore-clock", takesValue: false, help: "do not check the timestamp against this machine's clock"),
    ]

    static func run(_ arguments: Arguments) async throws(CLIError) -> Int32 {
        let publicKey: RSAPublicKey
        do {
            publicKey = try KeyFile.loadPublicKey(path: try arguments.required("public-key"))
        } catch let error as KeyLoadError {
            throw .configuration(error.description)
        } catch {
            throw .usage("\(error)")
        }
        let timestamp = try arguments.required("timestamp")
        let body = try readBytes(try arguments.required("body-file"))
        let keyID = "PUB_KEY_ID_FROM_COMMAND_LINE"
        let headers = [
            HTTPHeader("Wechatpay-Timestamp", timestamp),
            HTTPHeader("Wechatpay-Nonce", try arguments.required("nonce")),
            HTTPHeader("Wechatpay-Signature", try arguments.required("signature")),
            HTTPHeader("Wechatpay-Serial", keyID),
        ]
        var now = Date()
        if arguments.flag("ignore-clock"), let seconds = Double(timestamp) {
            now = Date(timeIntervalSince1970: seconds)
        }
        let verifier = ResponseVerifier(publicKeyID: keyID, publicKey: publicKey)
        if let failure = verifier.failure(headers: headers, body: body, now: now) {
            Output.line("invalid: \(failure)")
            return 1
        }
        Output.line("valid")
        return 0
    }
}
