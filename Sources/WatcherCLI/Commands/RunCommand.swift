import Foundation
import WatcherConfig
import WatcherEngine
import WatcherLog
import WatcherStore
import WatcherSystemd
import WeChatPay

/// `run --config FILE`: the daemon in the foreground, as systemd runs it.
enum RunCommand: Command {
    static let name = "run"
    static let summary = "Run the watcher in the foreground until SIGINT or SIGTERM."
    static let usage = "run --config FILE"
    static let discussion = """
        Creates or upgrades the database schema, then polls WeChat Pay for every unfinished row of every configured
        merchant, within each merchant's rate limit, and writes each state change with its transition row.
        SIGINT or SIGTERM stop new polls; polls in flight finish and every answer received is written before
        the process exits with status 0. SIGHUP reopens the log file and rereads the configuration.
        Under systemd (Type=notify) it reports READY=1 once configuration, keys and schema are good, a STATUS=
        line every 5 s, WATCHDOG=1 while its loop makes progress, and STOPPING=1. A second `run` on the same
        database exits 1 naming the running one.
        """
    static let options: [Arguments.Option] = [
        .init(name: "config", takesValue: true, help: "the configuration file (JSON)", valueName: "FILE"),
        .init(
            name: "scheduler", takesValue: true,
            help: "re-poll schedule: budget (default), sweep, exponential or fixed-30s (the benchmark's baselines)",
            valueName: "NAME"),
    ]

    static func run(_ arguments: Arguments) async throws(CLIError) -> Int32 {
        // First of all, so that a stop during start-up is an orderly exit rather than the signal's default action.
        let stopRequest = StopRequest()
        let stopSignals = SignalHandlers([
            (SIGTERM, { @Sendable in stopRequest.received("SIGTERM") }),
            (SIGINT, { @Sendable in stopRequest.received("SIGINT") }),
        ])
        defer { stopSignals.cancel() }
        let loaded = try Setup.configuration(try arguments.required("config"))
        let configuration = loaded.configuration
        let scheduler = try Setup.scheduler(
            named: arguments.value("scheduler"), minimumInterval: configuration.polling.minimumIntervalSeconds)
        let output = try Setup.logOutput(configuration)
        let logger = Logger(sink: output)
        for warning in loaded.warnings { logger.warning("config.warning", ["warning": .string(warning)]) }
        let credentials = try Setup.credentials(configuration)
        let lock: InstanceLock
        do {
            lock = try InstanceLock.acquire(databasePath: configuration.database)
        } catch {
            logger.error("watcher.already_running", ["error": .string(error.description)])
            throw .runtime(error.description)
        }
        defer { withExtendedLifetime(lock) {} }
        if let notice = Setup.rewriteNotice(configuration.database) {
            logger.info("database.rewriting", ["reason": .string(notice)])
        }
        let store = try Setup.store(configuration.database)
        defer { store.close() }
        let pruner = try Setup.pruner(configuration, logger: logger)
        defer { pruner?.close() }
        let transport = URLSessionTransport()
        let endpoints = Setup.endpoints(configuration, credentials: credentials, transport: transport, logger: logger)
        let clients = endpoints.map(\.client)
        try await Setup.preparePlatformCertificates(clients, logger: logger)
        let engine = WatcherEngine(
            store: store,
            kinds: Setup.kinds,
            merchants: endpoints,
            settings: Setup.engineSettings(configuration),
            scheduler: scheduler,
            logger: logger,
            identity: ProcessIdentity(pid: getpid(), hostname: Setup.hostname, version: wechatpayWatcherVersion)
        )
        let reload = ConfigReload(configuration: configuration, output: output, logger: logger)
        let notifier = SystemdNotifier()
        stopRequest.attach(engine: engine, logger: logger, notifier: notifier)
        let signals = SignalHandlers([
            (
                SIGHUP,
                { @Sendable in
                    notifier?.reloading()
                    reload.reload()
                    notifier?.ready()
                }
            )
        ])
        defer { signals.cancel() }
        logger.info(
            "watcher.started",
            [
                "version": .string(wechatpayWatcherVersion), "config": .string(configuration.configFile),
                "database": .string(configuration.database), "merchants": .int(credentials.count),
                "scheduler": .string(scheduler.name), "pid": .int(Int(getpid())),
            ]
        )
        let watchdog: WatchdogSettings?
        switch WatchdogSettings.resolve() {
        case .enabled(let settings):
            watchdog = settings
            logger.info("watchdog.enabled", ["ping_every_seconds": .double(settings.pingInterval)])
        case .disabled(let reason):
            watchdog = nil
            if ProcessInfo.processInfo.environment["WATCHDOG_USEC"] != nil {
                logger.warning("watchdog.disabled", ["reason": .string(reason)])
            }
        }
        let monitor = ServiceMonitor(
            statistics: engine.statistics, clients: clients, notifier: notifier, watchdog: watchdog,
            metricsFile: { reload.current.metricsFile },
            onMetricsFailure: { logger.warning("metrics.write_failed", ["error": .string($0)]) })
        // READY=1 goes first: configuration, keys and schema are good. Then the periodic STATUS and WATCHDOG.
        if let notifier {
            do {
                try notifier.deliver("READY=1\nSTATUS=watching \(credentials.count) merchant(s)")
            } catch {
                logger.warning(
                    "systemd.notify_failed",
                    [
                        "error": .string(error.description),
                        "hint": "systemd waits for READY=1 and will time the start out; check NOTIFY_SOCKET",
                    ])
            }
        }
        let monitoring = Task { await monitor.run() }
        defer { monitoring.cancel() }
        let heapReturn = Task { await HeapReturn.run() }
        defer { heapReturn.cancel() }
        let pruning = Task { await pruner?.run() }
        defer { pruning.cancel() }
        do {
            try await engine.run()
        } catch {
            logger.error("watcher.failed", ["error": .string(String(describing: error))])
            throw .runtime("wechatpay-watcher stopped: \(error)")
        }
        logger.info("watcher.stopped")
        return 0
    }
}
