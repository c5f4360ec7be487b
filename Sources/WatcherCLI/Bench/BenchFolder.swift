import Foundation
import WatcherPOSIX

/// The folder one benchmark run works in: a new temporary folder, named when `--keep` keeps it for inspection,
/// removed when the run ends otherwise.
enum BenchFolder {
    static func run<Result>(
        keep: Bool, _ body: (String) async throws(CLIError) -> Result
    ) async throws(CLIError) -> Result {
        let directory = try POSIXFile.temporaryFolder(prefix: "wechatpay-watcher-bench")
            .mapError { CLIError.runtime("cannot create a temporary folder: \($0.message)") }.get()
        defer { if !keep { try? FileManager.default.removeItem(atPath: directory) } }
        if keep { Output.line("   folder: \(directory)") }
        return try await body(directory)
    }
}
