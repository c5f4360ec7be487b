import Foundation

/// A child process started with `posix_spawn`, so the benchmark can read its resource usage (CPU time, peak
/// RSS) from `wait4`, which Foundation's `Process` does not expose.
final class ChildProcess: Sendable {
    /// Its process id.
    let pid: pid_t

    /// What `wait4` reported.
    struct Exit: Sendable {
        /// The exit status, or 128 + signal.
        var status: Int32
        /// User plus system CPU seconds.
        var cpuSeconds: Double
        /// Peak resident set size in bytes.
        var peakResidentBytes: Int
    }

    /// Starts `executable` with `arguments`, its standard output and error going to `outputFile`.
    init(executable: String, arguments: [String], outputFile: String) throws(CLIError) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, nil, argv, environ)
        guard result == 0 else {
            throw .runtime("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        pid = child
    }

    /// Sends `signal`.
    func signal(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Waits for the exit, polling so no thread blocks.
    func wait(timeout: Double) async -> Exit? {
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        while ContinuousClock.now < deadline {
            var status: Int32 = 0
            var usage = rusage()
            let result = wait4(pid, &status, WNOHANG, &usage)
            if result == pid {
                let exited = status & 0x7f == 0
                let code = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                let cpu =
                    Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
                    + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
                return Exit(status: code, cpuSeconds: cpu, peakResidentBytes: Int(usage.ru_maxrss) * 1024)
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// The running binary, for starting `run` as a separate process.
    static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
