/// The options and operands of one command line, parsed against the options a command declares.
///
/// Small on purpose: `--name value`, `--name=value`, `--flag`, operands, and `--help` anywhere.
struct Arguments {
    /// How an option is spelled and whether it takes a value.
    struct Option {
        var name: String
        var takesValue: Bool
        var help: String
        var valueName: String = "VALUE"
    }

    private(set) var values: [String: [String]] = [:]
    private(set) var operands: [String] = []
    private(set) var wantsHelp = false

    /// Parses `words` (the command line after the command name).
    init(_ words: [String], options: [Option]) throws(CLIError) {
        let known = Dictionary(options.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var index = 0
        while index < words.count {
            let word = words[index]
            index += 1
            if word == "--help" || word == "-h" {
                wantsHelp = true
                continue
            }
            if word == "--" {
                operands += words[index...]
                break
            }
            guard word.hasPrefix("--") else {
                operands.append(word)
                continue
            }
            var name = String(word.dropFirst(2))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let option = known[name] else { throw .usage("unknown option --\(name)") }
            if !option.takesValue {
                guard inlineValue == nil else { throw .usage("option --\(name) takes no value") }
                values[name, default: []].append("")
                continue
            }
            if let inlineValue {
                values[name, default: []].append(inlineValue)
            } else {
                guard index < words.count else { throw .usage("option --\(name) needs a value") }
                values[name, default: []].append(words[index])
                index += 1
            }
        }
    }

    /// The last value given for `name`, if any.
    func value(_ name: String) -> String? { values[name]?.last }

    /// True when the flag was given.
    func flag(_ name: String) -> Bool { values[name] != nil }

    /// The value of a required option.
    func required(_ name: String) throws(CLIError) -> String {
        guard let value = value(name), !value.isEmpty else { throw .usage("missing required option --\(name)") }
        return value
    }

    /// An integer option.
    func integer(_ name: String, default fallback: Int) throws(CLIError) -> Int {
        guard let text = value(name) else { return fallback }
        guard let number = Int(text) else { throw .usage("--\(name) must be an integer, got \(text.debugDescription)") }
        return number
    }
}

/// Why a command failed, and the exit status that says so.
enum CLIError: Error, CustomStringConvertible {
    /// Bad usage: exit 2.
    case usage(String)
    /// A bad configuration (file, keys, database path): exit 2.
    case configuration(String)
    /// Something failed while running: exit 1.
    case runtime(String)

    var exitStatus: Int32 {
        switch self {
        case .usage, .configuration: 2
        case .runtime: 1
        }
    }

    var description: String {
        switch self {
        case .usage(let message), .configuration(let message), .runtime(let message): message
        }
    }
}

/// One subcommand of `wechatpay-watcher`.
protocol Command {
    /// The word on the command line.
    static var name: String { get }
    /// One line for the command list.
    static var summary: String { get }
    /// The usage line after the program name.
    static var usage: String { get }
    /// Longer help text, shown by `--help`.
    static var discussion: String { get }
    /// The options the command accepts.
    static var options: [Arguments.Option] { get }
    /// Whether the command reads operands (a task id); the others refuse any, so a stray word is not ignored.
    static var takesOperands: Bool { get }
    /// Runs the command; returns the exit status.
    static func run(_ arguments: Arguments) async throws(CLIError) -> Int32
}

extension Command {
    static var discussion: String { "" }
    static var takesOperands: Bool { false }

    static var help: String {
        var text = "usage: wechatpay-watcher \(usage)\n\n\(summary)\n"
        if !discussion.isEmpty { text += "\n\(discussion)\n" }
        if !options.isEmpty {
            text += "\noptions:\n"
            for option in options {
                let spelled = "--\(option.name)" + (option.takesValue ? " \(option.valueName)" : "")
                text +=
                    "  " + spelled.padding(toLength: max(spelled.count, 28), withPad: " ", startingAt: 0) + " "
                    + option.help + "\n"
            }
        }
        text += "  --help                       show this help\n"
        return text
    }
}
