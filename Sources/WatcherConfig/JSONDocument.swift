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
