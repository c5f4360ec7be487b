import Foundation
import WatcherCrypto
import WeChatPay

/// `sign …`: show exactly what would be signed and the resulting Authorization header.
enum SignCommand: Command {
    static let name = "sign"
    static let summary = "Print the exact message signed for a request and its Authorization header (to debug a 401)."
    static let usage =
        "sign --mchid M --serial S --private-key FILE --method GET --url '/v3/…?…' [--timestamp T] [--nonce N] [--body-file FILE]"
    static let discussion = """
        The message is printed with its newlines escaped as \\n, so a missing or extra line shows. Compare it with
        what your other tools sign; the canonical URL must be the path and query exactly as sent on the wire.
        """
    static let options: [Arguments.Option] = [
        .init(name: "mchid", takesValue: true, help: "merchant id", valueName: "M"),
        .init(name: "serial", takesValue: true, help: "merchant API certificate serial", valueName: "S"),
        .init(name: "private-key", takesValue: true, help: "merchant API private key (PEM)", valueName: "FILE"),
        .init(name: "method", takesValue: true, help: "HTTP method (default GET)", valueName: "METHOD"),
        .init(name: "url", takesValue: true, help: "canonical URL: path and query as sent", valueName: "URL"),
        .init(name: "timestamp", takesValue: true, help: "unix seconds (default now)", valueName: "T"),
        .init(name: "nonce", takesValue: true, help: "nonce (default 32 random characters)", valueName: "N"),
        .init(name: "body-file", takesValue: true, help: "request body (default empty)", valueName: "FILE"),
    ]

    static func run(_ arguments: Arguments) async throws(CLIError) -> Int32 {
        let mchid = try arguments.required("mchid")
        let serial = try arguments.required("serial")
        let url = try arguments.required("url")
        guard url.hasPrefix("/") else {
            throw .usage("--url must be the path and query, starting with /, e.g. /v3/…?brand_id=1")
        }
        let method = (arguments.value("method") ?? "GET").uppercased()
        let timestamp: Int64
        if let text = arguments.value("timestamp") {
            guard let value = Int64(text) else {
                throw .usage("--timestamp must be unix seconds, got \(text.debugDescription)")
            }
            timestamp = value
        } else {
            timestamp = Int64(Date().timeIntervalSince1970)
        }
        let nonce = arguments.value("nonce") ?? SecureRandom.alphanumeric(count: 32)
        let body = try arguments.value("body-file").map { path throws(CLIError) in try readText(path) } ?? ""
        let key: RSAPrivateKey
        do {
            key = try KeyFile.loadPrivateKey(path: try arguments.required("private-key"))
        } catch let error as KeyLoadError {
            throw .configuration(error.description)
        } catch {
            throw .usage("\(error)")
        }
        let request = APIRequest(method: method, canonicalURL: url)
        let message = SignatureMessage.request(
            method: method, canonicalURL: url, timestamp: String(timestamp), nonce: nonce, body: body)
        let authorization: AuthorizationHeader
        do {
            authorization = try RequestSigner(mchid: mchid, certificateSerial: serial, privateKey: key)
                .authorize(request, body: body, timestamp: timestamp, nonce: nonce)
        } catch {
            throw .runtime("signing failed: \(error)")
        }
        Output.line("message: \"\(escaped(message))\"")
        Output.line("authorization: \(authorization.value)")
        return 0
    }

    /// The text with control characters made visible.
    static func escaped(_ text: String) -> String {
        text.unicodeScalars.map { scalar in
            switch scalar {
            case "\n": "\\n"
            case "\r": "\\r"
            case "\t": "\\t"
            case "\"": "\\\""
            case "\\": "\\\\"
            default: scalar.value < 0x20 ? String(format: "\\u{%02X}", scalar.value) : String(scalar)
            }
        }.joined()
    }
}

/// Reads a whole file as bytes, naming the file in the error.
func readBytes(_ path: String) throws(CLIError) -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw .usage("cannot read \(path): \(String(cString: strerror(errno)))")
    }
    return Array(data)
}

/// Reads a whole file as UTF-8 text.
func readText(_ path: String) throws(CLIError) -> String {
    String(decoding: try readBytes(path), as: UTF8.self)
}
