/// Quotes text for a POSIX shell, so a suggested command can be pasted even when a path has spaces.
enum ShellQuoting {
    /// `text` in single quotes, with each embedded `'` written as `'\''`.
    static func quoted(_ text: String) -> String {
        "'" + text.replacing("'", with: "'\\''") + "'"
    }
}
