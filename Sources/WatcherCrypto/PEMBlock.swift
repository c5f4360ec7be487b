/// One `-----BEGIN LABEL-----` … `-----END LABEL-----` block of a PEM file.
struct PEMBlock: Equatable {
    /// The text between "-----BEGIN " and "-----", e.g. "PRIVATE KEY".
    let label: String
    /// Header lines such as `Proc-Type: 4,ENCRYPTED`, which only legacy encrypted keys carry.
    let headers: [String]
    /// The Base64 lines, trimmed.
    let body: [String]
    /// False when the file ends, or another END line comes, before "-----END LABEL-----" (a truncated copy).
    let isTerminated: Bool

    /// What the block holds, judged by its label and headers.
    var content: PEMContent {
        switch label {
        case "PRIVATE KEY": return .pkcs8PrivateKey
        case "RSA PRIVATE KEY": return isEncrypted ? .encryptedPrivateKey : .pkcs1RSAPrivateKey
        case "ENCRYPTED PRIVATE KEY": return .encryptedPrivateKey
        case "EC PRIVATE KEY": return .ecPrivateKey
        case "PUBLIC KEY": return .publicKey
        case "RSA PUBLIC KEY": return .pkcs1RSAPublicKey
        case "CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE": return .certificate
        default: return .otherPEM(label: label)
        }
    }

    /// The block with "\n" line ends and no indentation, which is the only shape OpenSSL's PEM reader
    /// is sure to accept; files pasted from e-mail or Windows editors often have CRLF or leading spaces.
    var normalizedText: String {
        var lines = ["-----BEGIN \(label)-----"]
        if !headers.isEmpty {
            lines += headers + [""]
        }
        lines += body + ["-----END \(label)-----"]
        return lines.joined(separator: "\n") + "\n"
    }

    private var isEncrypted: Bool {
        headers.contains { $0.hasPrefix("Proc-Type:") && $0.contains("ENCRYPTED") }
    }

    /// Every PEM block in `text`, in order. Text outside blocks (such as "Bag Attributes" written by
    /// `openssl pkcs12`) is ignored, as OpenSSL ignores it.
    static func scan(_ text: String) -> [PEMBlock] {
        var blocks: [PEMBlock] = []
        var lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
            .map { $0.trimmingWhitespace() }[...]
        while let line = lines.popFirst() {
            if let label = marker("BEGIN", in: line) {
                blocks.append(readBlock(label: label, from: &lines))
            }
        }
        return blocks
    }

    private static func readBlock(label: String, from lines: inout ArraySlice<String>) -> PEMBlock {
        var headers: [String] = []
        var body: [String] = []
        while let line = lines.popFirst() {
            if let endLabel = marker("END", in: line) {
                return PEMBlock(label: label, headers: headers, body: body, isTerminated: endLabel == label)
            }
            if line.contains(":") {
                headers.append(line)
            } else if !line.isEmpty {
                body.append(line)
            }
        }
        return PEMBlock(label: label, headers: headers, body: body, isTerminated: false)
    }

    /// The label of a "-----BEGIN LABEL-----" or "-----END LABEL-----" line.
    private static func marker(_ kind: String, in line: String) -> String? {
        let prefix = "-----\(kind) "
        let suffix = "-----"
        guard line.hasPrefix(prefix), line.hasSuffix(suffix), line.count >= prefix.count + suffix.count else {
            return nil
        }
        return String(line.dropFirst(prefix.count).dropLast(suffix.count))
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        let start = firstIndex { !isSpace($0) } ?? endIndex
        let end = self[start...].lastIndex { !isSpace($0) }.map(index(after:)) ?? start
        return String(self[start..<end])
    }
}
