import Foundation

/// Turns the bytes of a configuration file into a ``JSONValue``, or into a problem an operator can act on.
enum JSONDocument {
    /// The parsed document, or the one problem that stops anything else from being checked.
    static func parse(_ bytes: [UInt8]) -> Result<JSONValue, Problem> {
        let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        if bytes.allSatisfy(whitespace.contains) {
            return .failure(
                Problem(
                    "the file is empty; it must hold a JSON object with at least \"database\", \"api\" and \"merchants\""
                ))
        }
        do {
            return .success(try JSONDecoder().decode(JSONValue.self, from: Data(bytes)))
        } catch {
            return .failure(Problem("the file is not valid JSON: \(syntaxDescription(bytes, decodingError: error))"))
        }
    }

    /// A warning for a key given twice in one object: the decoder keeps the first without a word, so an operator
    /// who adds a second `"log_level"` at the end would never learn that it is ignored. A warning, not an error:
    /// a file that worked before must not stop the daemon after an upgrade.
    static func duplicateKeyWarning(_ bytes: [UInt8]) -> String? {
        firstDuplicateKey(bytes).map { path, line in
            "the key \(path) appears twice in one object (again on line \(line)); the first is used, the other ignored"
        }
    }

    /// The dotted path of the first key that repeats within one object, and the line of its second appearance; the
    /// bytes are valid JSON already.
    private static func firstDuplicateKey(_ bytes: [UInt8]) -> (path: String, line: Int)? {
        // One entry per open object or array: the keys seen so far (nil for an array) and the key the container
        // is the value of.
        var open: [(keys: Set<String>?, name: String?)] = []
        var pendingKey: String?
        var expectingKey = false
        var line = 1
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\n"):
                line += 1
            case UInt8(ascii: "{"):
                open.append((keys: [], name: pendingKey))
                pendingKey = nil
                expectingKey = true
            case UInt8(ascii: "["):
                open.append((keys: nil, name: pendingKey))
                pendingKey = nil
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = open.popLast()
            case UInt8(ascii: ","):
                expectingKey = open.last?.keys != nil
            case UInt8(ascii: "\""):
                var end = index + 1
                var text: [UInt8] = []
                while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
                    if bytes[end] == UInt8(ascii: "\\") { end += 1 }
                    if end < bytes.count { text.append(bytes[end]) }
                    end += 1
                }
                if expectingKey, var keys = open.last?.keys {
                    let key = String(decoding: text, as: UTF8.self)
                    let path = (open.compactMap(\.name) + [key]).joined(separator: ".")
                    guard keys.insert(key).inserted else { return (path, line) }
                    open[open.count - 1].keys = keys
                    pendingKey = key
                    expectingKey = false
                } else {
                    pendingKey = nil
                }
                index = end
            default:
                break
            }
            index += 1
        }
        return nil
    }

    /// `JSONDecoder` only says "not valid JSON"; `JSONSerialization` usually says what and where, as a byte offset
    /// that is turned into a line and column here.
    private static func syntaxDescription(_ bytes: [UInt8], decodingError: any Error) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            if let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String {
                return text + position(in: text, bytes: bytes)
            }
        }
        if let decodingError = decodingError as? DecodingError, case .dataCorrupted(let context) = decodingError {
            return context.debugDescription
        }
        return String(describing: decodingError)
    }

    /// ` (line 3, column 4)` for a message that names `character 10`, or nothing.
    private static func position(in text: String, bytes: [UInt8]) -> String {
        guard let range = text.range(of: #"character \d+"#, options: .regularExpression),
            let offset = Int(text[range].dropFirst("character ".count)), offset <= bytes.count
        else { return "" }
        let before = bytes[..<offset]
        let line = before.count { $0 == 0x0A } + 1
        let lineStart = before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        let column = String(decoding: bytes[lineStart..<offset], as: UTF8.self).count + 1
        return " (line \(line), column \(column))"
    }
}

/// One sentence about what is wrong with the file.
struct Problem: Error, Equatable {
    var text: String

    init(_ text: String) { self.text = text }
}
