/// Why a configuration file cannot be used: every problem found, not only the first, so one edit fixes them all.
package struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The absolute path of the configuration file.
    package var file: String
    /// One sentence per problem, each naming the key path it is about, such as `merchants[1].mchid: …`.
    package var problems: [String]

    /// An error from its parts.
    package init(file: String, problems: [String]) {
        self.file = file
        self.problems = problems
    }

    /// `configuration file /etc/x.json has 2 problems:` followed by one indented line per problem.
    package var description: String {
        let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
        return "configuration file \(file) has \(count):" + problems.map { "\n  - \($0)" }.joined()
    }
}
