/// The problems and warnings found while reading one file. Reading goes on after a problem so that the operator
/// sees every problem at once; values read from a bad key are placeholders that are never returned.
final class Diagnostics {
    private(set) var problems: [String] = []
    private(set) var warnings: [String] = []

    func problem(_ text: String) { problems.append(text) }

    func warning(_ text: String) { warnings.append(text) }
}

/// Where a value sits in the file: `""` for the top level, `api.base_url`, `merchants[1].mchid`.
struct KeyPath: CustomStringConvertible {
    private var text: String

    static let root = KeyPath(text: "")

    private init(text: String) { self.text = text }

    func appending(_ key: String) -> KeyPath { KeyPath(text: text.isEmpty ? key : "\(text).\(key)") }

    func appending(index: Int) -> KeyPath { KeyPath(text: "\(text)[\(index)]") }

    /// The path as it starts a problem: `merchants[1].mchid`.
    var description: String { text }

    /// The object as a location in a sentence: `in merchants[0]`, `in the top-level object`.
    var location: String { text.isEmpty ? "in the top-level object" : "in \(text)" }
}
