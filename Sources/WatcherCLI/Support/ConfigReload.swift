import WatcherConfig
import WatcherLog
import WatcherSync

/// SIGHUP (`systemctl reload`): reopen the log file, reread the configuration, apply what can change while
/// running, and name what needs a restart. An invalid new configuration is refused and the running one kept.
///
/// Applied live: `log_file`, `log_level`, `log_format`, `metrics_file`. Everything else (database, API hosts,
/// merchants and their keys, polling tuning) is wired into the running lanes; a change there is logged with the
/// keys that changed and takes effect at the next restart, so a reload never half-applies a merchant change. A key
/// or CA file replaced at the same path counts as a change of `merchants` (or `api`), named in `changed_files`.
final class ConfigReload: Sendable {
    private let output: LogOutput
    private let logger: Logger
    private let running: Locked<WatcherConfiguration>
    /// The key and CA files as the running lanes read them at start.
    private let filesAtStart: FileStamps

    /// The configuration in effect (as last applied).
    var current: WatcherConfiguration { running.withLock { $0 } }

    init(configuration: WatcherConfiguration, output: LogOutput, logger: Logger) {
        self.output = output
        self.logger = logger
        self.running = Locked(configuration)
        self.filesAtStart = FileStamps(Self.keyFiles(configuration))
    }

    /// The files the running lanes read once at start: merchants' keys and the API's CA file.
    static func keyFiles(_ configuration: WatcherConfiguration) -> [String] {
        configuration.merchants.flatMap { [$0.privateKeyFile, $0.wechatpayPublicKeyFile, $0.apiv3KeyFile] }
            .compactMap { $0 } + [configuration.api.caFile].compactMap { $0 }
    }

    /// Handles one SIGHUP.
    func reload() {
        // First the log: after logrotate moved the file away, a new one is opened at the configured path.
        reopenLog()
        let old = current
        let loaded: LoadedConfiguration
        do {
            loaded = try ConfigurationLoader.load(path: old.configFile)
        } catch {
            logger.error(
                "config.reload_rejected",
                [
                    "config": .string(old.configFile), "error": .string(error.description),
                    "hint": "the running configuration is kept; fix the file and reload again",
                ])
            return
        }
        let new = loaded.configuration
        do {
            try output.reconfigure(
                destination: new.logFile.map { .file(path: $0) } ?? .standardError, format: new.logFormat,
                level: new.logLevel)
        } catch {
            logger.error(
                "config.reload_rejected",
                ["error": .string(error.description), "hint": "the running configuration is kept"])
            return
        }
        for warning in loaded.warnings { logger.warning("config.warning", ["warning": .string(warning)]) }
        var pending = Self.restartOnlyChanges(from: old, to: new)
        let changedFiles = filesAtStart.changed(in: FileStamps(Self.keyFiles(new)))
        let caFile = old.api.caFile
        if changedFiles.contains(where: { $0 != caFile }), !pending.contains("merchants") {
            pending.append("merchants")
        }
        if let caFile, changedFiles.contains(caFile), !pending.contains("api") { pending.append("api") }
        var applied = old
        applied.logFile = new.logFile
        applied.logLevel = new.logLevel
        applied.logFormat = new.logFormat
        applied.metricsFile = new.metricsFile
        running.withLock { $0 = applied }
        logger.info(
            "config.reloaded",
            [
                "config": .string(new.configFile), "log_level": .string(new.logLevel.rawValue),
                "restart_needed_for": .string(pending.isEmpty ? "nothing" : pending.joined(separator: ",")),
                "changed_files": .string(changedFiles.isEmpty ? "none" : changedFiles.joined(separator: ",")),
            ])
    }

    /// The keys whose change only a restart applies.
    static func restartOnlyChanges(from old: WatcherConfiguration, to new: WatcherConfiguration) -> [String] {
        var changed: [String] = []
        if old.database != new.database { changed.append("database") }
        if old.api != new.api { changed.append("api") }
        if old.polling != new.polling { changed.append("polling") }
        if old.retention != new.retention { changed.append("retention") }
        if old.merchants != new.merchants { changed.append("merchants") }
        return changed
    }

    private func reopenLog() {
        do {
            try output.reopen()
            logger.info("log.reopened")
        } catch {
            logger.error("log.reopen_failed", ["error": .string(error.description)])
        }
    }
}
