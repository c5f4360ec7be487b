/// A key file's bytes, split into the cases that need different advice before any parsing.
enum PEMFile {
    case empty
    case binary
    /// Text, with every PEM block in file order (none for plain text).
    case text([PEMBlock])

    init(_ bytes: [UInt8]) {
        let body = Self.droppingByteOrderMark(bytes)
        if body.allSatisfy(Self.isWhitespace) {
            self = .empty
        } else if body.contains(where: Self.isBinaryControl) {
            self = .binary
        } else if let text = String(validating: body, as: UTF8.self) {
            self = .text(PEMBlock.scan(text))
        } else {
            self = .binary
        }
    }

    /// Windows editors prepend a UTF-8 byte order mark; it says nothing about the content.
    private static func droppingByteOrderMark(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...]
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    /// Control characters other than whitespace never occur in PEM text but are everywhere in DER.
    private static func isBinaryControl(_ byte: UInt8) -> Bool {
        byte < 0x20 && !isWhitespace(byte)
    }
}
