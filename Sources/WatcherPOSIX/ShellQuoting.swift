/// Quotes text for a POSIX shell, so a suggested command can be pasted even when a path has spaces.
package enum ShellQuoting {
    /// `text` in single quotes, with each embedded `'` written as `'\''`.
    package static func quoted(_ text: String) -> String {
        "'" + text.replacing("'", with: "'\\''") + "'"
    }
}
