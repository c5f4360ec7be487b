/// How paths in the file become absolute, normalized paths.
enum PathRules {
    /// `path` resolved against `directory` when relative, with `.`, `..` and repeated slashes removed.
    /// `..` is resolved lexically, like `URL.standardized`, not by following symbolic links.
    static func absolute(_ path: String, relativeTo directory: String) -> String {
        normalized(path.hasPrefix("/") ? path : directory + "/" + path)
    }

    /// The folder holding `file`, an absolute path.
    static func directory(of file: String) -> String {
        normalized(file + "/..")
    }

    /// A problem with a path as written in the file, or `nil` when it can be resolved.
    static func problem(_ path: String) -> String? {
        if path.isEmpty { return "the path is empty" }
        if path.contains("\0") { return "the path \(JSONValue.quoted(path)) contains a NUL character" }
        if path.hasPrefix("~") {
            return "the path \(JSONValue.quoted(path)) starts with \"~\", which is not expanded "
                + "(the daemon runs under systemd, without a home directory); write the absolute path"
        }
        return nil
    }

    private static func normalized(_ path: String) -> String {
        var components: [Substring] = []
        for component in path.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": _ = components.popLast()
            default: components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }
}
