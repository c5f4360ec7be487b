import Foundation
import Testing

/// The real `wechatpay-watcher` binary, run as a child process.
struct WatcherProcess {
    /// The binary SwiftPM built next to this test bundle.
    static let binary: String = {
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [
            bundleDirectory.appendingPathComponent("wechatpay-watcher").path,
            bundleDirectory.deletingLastPathComponent().appendingPathComponent("wechatpay-watcher").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }()

    let process: Process
    let standardOutput: String
    let standardError: String

    /// Starts the binary with `arguments`; output goes to files in `directory`. `environment` is added to this
    /// process's own; an empty value removes the variable.
    static func start(_ arguments: [String], in directory: String, environment: [String: String] = [:]) throws
        -> WatcherProcess
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        // scripts/sanitize.sh checks the daemons for leaks but not the test process (Foundation's Process objects
        // never go): the daemons get their own sanitizer options.
        if let daemonOptions = merged["WECHATPAY_WATCHER_DAEMON_ASAN_OPTIONS"] {
            merged["ASAN_OPTIONS"] = daemonOptions
        }
        for (key, value) in environment { merged[key] = value.isEmpty ? nil : value }
        process.environment = merged
        let name = "\(arguments.first ?? "x")-\(UUID().uuidString.prefix(8))"
        let outPath = "\(directory)/\(name).out"
        let errPath = "\(directory)/\(name).err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
        return WatcherProcess(process: process, standardOutput: outPath, standardError: errPath)
    }

    /// Runs the binary to completion and returns its exit status and output.
    static func run(_ arguments: [String], in directory: String, timeout: Double = 60) async throws -> (
        status: Int32, output: String, error: String
    ) {
        let running = try start(arguments, in: directory)
        let status = try await running.wait(timeout: timeout)
        return (status, running.output, running.errorOutput)
    }

    var output: String { (try? String(contentsOfFile: standardOutput, encoding: .utf8)) ?? "" }
    var errorOutput: String { (try? String(contentsOfFile: standardError, encoding: .utf8)) ?? "" }

    /// Whether the process has `path` open (from `/proc/PID/fd`).
    func hasOpen(_ path: String) -> Bool {
        let folder = "/proc/\(process.processIdentifier)/fd"
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return descriptors.contains {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: folder + "/" + $0)) == path
        }
    }

    /// Sends a signal.
    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Waits for the process to exit; kills it and fails after `timeout` seconds (times ``testTimeScale``).
    func wait(timeout: Double) async throws -> Int32 {
        let timeout = timeout * testTimeScale
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                kill(process.processIdentifier, SIGKILL)
                throw TimedOut(
                    what: "wechatpay-watcher \(process.arguments?.joined(separator: " ") ?? "")", seconds: timeout)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return process.terminationStatus
    }
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var seconds: Double
    var description: String { "\(what) did not finish within \(seconds) s" }
}

/// How much longer the tests wait for the daemon than they normally would: `WECHATPAY_WATCHER_TIME_SCALE`
/// (default 1). The sanitizer runs set it, since an instrumented daemon is several times slower; what a test checks
/// does not change, only how long it waits before calling a missing result a failure.
let testTimeScale: Double = {
    guard let text = ProcessInfo.processInfo.environment["WECHATPAY_WATCHER_TIME_SCALE"], let scale = Double(text),
        scale >= 1
    else { return 1 }
    return scale
}()

/// Polls `condition` every 100 ms until it holds or `timeout` (times ``testTimeScale``) passes; returns whether it
/// held.
func eventually(timeout: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout * testTimeScale)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return try await condition()
}

/// A scenario step that failed, with what the daemon was doing.
struct ScenarioError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
