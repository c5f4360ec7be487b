import Foundation

/// The `wechatpay-watcher` command line.
package enum WatcherCLI {
    static var commands: [any Command.Type] {
        [
            RunCommand.self, MigrateCommand.self, CheckConfigCommand.self, DownloadCertificatesCommand.self,
            EnqueueCommand.self, WaitCommand.self, StatusCommand.self, PruneCommand.self,
            DemoCommand.self, SimulateCommand.self, SignCommand.self, VerifyCommand.self, BenchCommand.self,
        ]
    }

    /// What must be set before the process starts a second thread: the daemon's malloc arena limit, which glibc fixes
    /// once a ninth arena is wanted, and its stop and reload signals recorded, so that one sent in the milliseconds
    /// before their handlers exist (systemd's stop, logrotate's reload) waits for them instead of ending the process.
    package static func prepareProcess(_ arguments: [String]) {
        guard arguments.first == RunCommand.name else { return }
        HeapReturn.limitArenas()
        SignalHandlers.recordFromStart([SIGTERM, SIGINT, SIGHUP])
    }

    /// Runs the command named by `arguments` (without the program name); returns the exit status:
    /// 0 success, 2 bad usage or configuration, 1 a runtime failure.
    package static func main(_ arguments: [String]) async -> Int32 {
        guard let name = arguments.first, !["--help", "-h", "help"].contains(name) else {
            Output.line(overview)
            return arguments.isEmpty ? 2 : 0
        }
        if name == "--version" {
            Output.line("wechatpay-watcher \(wechatpayWatcherVersion)")
            return 0
        }
        guard let command = commands.first(where: { $0.name == name }) else {
            Output.error("wechatpay-watcher: unknown command \(name.debugDescription)\n\n\(overview)")
            return 2
        }
        do throws(CLIError) {
            let parsed = try Arguments(Array(arguments.dropFirst()), options: command.options)
            if parsed.wantsHelp {
                Output.line(command.help)
                return 0
            }
            if !command.takesOperands, let stray = parsed.operands.first {
                throw CLIError.usage("unexpected \(stray.debugDescription): \(name) takes options only")
            }
            return try await command.run(parsed)
        } catch {
            Output.error("wechatpay-watcher \(name): \(error)")
            if case .usage = error { Output.error("usage: wechatpay-watcher \(command.usage)") }
            return error.exitStatus
        }
    }

    static var overview: String {
        var text = """
            wechatpay-watcher \(wechatpayWatcherVersion): watches WeChat Pay APIv3 partner jobs until they finish.

            usage: wechatpay-watcher COMMAND [OPTIONS]

            commands:

            """
        for command in commands {
            text += "  " + command.name.padding(toLength: 22, withPad: " ", startingAt: 0) + command.summary + "\n"
        }
        text += "\nRun `wechatpay-watcher COMMAND --help` for a command's options."
        return text
    }
}
