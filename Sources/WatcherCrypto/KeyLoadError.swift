/// A key that could not be loaded, said so that the operator knows which file, what it holds, and what to do.
package struct KeyLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file path the key came from, or "<memory>" for bytes that never were a file.
    package let source: String
    /// What was found, what was expected, and where a fix exists, the command that fixes it.
    package let problem: String

    /// Describes a key that could not be loaded from `source`.
    package init(source: String, problem: String) {
        self.source = source
        self.problem = problem
    }

    /// "source: problem", one line for a log.
    package var description: String { "\(source): \(problem)" }
}
