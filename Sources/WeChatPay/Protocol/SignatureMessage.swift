/// The exact byte strings that APIv3 signatures cover: requests and answers, each field followed by `\n`.
package enum SignatureMessage {
    /// The five-line request message: method, canonical URL, timestamp, nonce, body — each line ending in `\n`,
    /// the last one too, so a `GET` ends in `\n\n`.
    package static func request(method: String, canonicalURL: String, timestamp: String, nonce: String, body: String)
        -> String
    {
        "\(method)\n\(canonicalURL)\n\(timestamp)\n\(nonce)\n\(body)\n"
    }

    /// The three-line response message over the raw body bytes: `timestamp\nnonce\nbody\n`.
    package static func response(timestamp: String, nonce: String, body: [UInt8]) -> [UInt8] {
        var message = [UInt8]()
        message.reserveCapacity(timestamp.utf8.count + nonce.utf8.count + body.count + 3)
        message.append(contentsOf: timestamp.utf8)
        message.append(UInt8(ascii: "\n"))
        message.append(contentsOf: nonce.utf8)
        message.append(UInt8(ascii: "\n"))
        message.append(contentsOf: body)
        message.append(UInt8(ascii: "\n"))
        return message
    }
}
