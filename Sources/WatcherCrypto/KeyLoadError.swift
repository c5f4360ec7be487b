/// A key that could not be loaded, said so that the operator knows which file, what it holds, and what to do.
public struct KeyLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file path the key came from, or "<memory>" for bytes that never were a file.
    public let source: String
    /// What was found, what was expected, and where a fix exists, the command that fixes it.
    public let problem: String

    /// Describes a key that could not be loaded from `source`.
    public init(source: String, problem: String) {
        self.source = source
        self.problem = problem
    }

    /// "source: problem", one line for a log.
    public var description: String { "\(source): \(problem)" }
}
