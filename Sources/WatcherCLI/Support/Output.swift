import Foundation

/// Writing to the terminal. Results go to standard output, diagnostics to standard error.
enum Output {
    /// Prints a line to standard output.
    static func line(_ text: String = "") {
        write(text + "\n", to: FileHandle.standardOutput)
    }

    /// Prints a line to standard error.
    static func error(_ text: String) {
        write(text + "\n", to: FileHandle.standardError)
    }

    /// Writes text without a newline (progress lines).
    static func raw(_ text: String, toStandardError: Bool = false) {
        write(text, to: toStandardError ? FileHandle.standardError : FileHandle.standardOutput)
    }

    /// True when standard output is a terminal, so progress can redraw one line.
    static var isTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    private static func write(_ text: String, to handle: FileHandle) {
        handle.write(Data(text.utf8))
    }
}

/// Aligns rows of text into columns.
enum TextTable {
    /// Renders `rows` under `header`, each column as wide as its widest cell.
    static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in
            all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0
        }
        func render(_ row: [String]) -> String {
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([render(header), rule] + rows.map(render)).joined(separator: "\n")
    }
}
