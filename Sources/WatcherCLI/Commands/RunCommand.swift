import Foundation
import WatcherConfig
import WatcherEngine
import WatcherLog
import WatcherServices
import WatcherStore
import WatcherSync
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
        // First of all, so that a stop during start-up is an orderly exit rather than the signal's default action,
        // and a SIGHUP then (logrotate's) is a reload once the daemon is up rather than the end of it.
        let stopRequest = StopRequest()
        let reload = Locked<(action: (@Sendable () -> Void)?, requestedEarly: Bool)>((nil, false))
        let signals = SignalHandlers([
            (SIGTERM, { @Sendable in stopRequest.received("SIGTERM") }),
            (SIGINT, { @Sendable in stopRequest.received("SIGINT") }),
            (
                SIGHUP,
                { @Sendable in
                    let action = reload.withLock { state in
                        if state.action == nil { state.requestedEarly = true }
                        return state.action
                    }
                    action?()
                }
            ),
        ])
        defer { signals.cancel() }
        let daemon = try await Daemon(arguments)
        defer { daemon.close() }
        let requestedEarly = reload.withLock { state in
            state.action = { daemon.reload() }
            return state.requestedEarly
        }
        if requestedEarly { daemon.reload() }
        stopRequest.attach(logger: daemon.logger, notifier: daemon.notifier)
        daemon.announceReady()
        do {
            try await daemon.engine.run(alongside: daemon.services + [stopRequest])
        } catch {
            daemon.logger.error("watcher.failed", ["error": .string(String(describing: error))])
            throw .runtime("wechatpay-watcher stopped: \(error)")
        }
        daemon.logger.info("watcher.stopped")
        return 0
    }
}

/// Everything `run` sets up before the services start: configuration, log, keys, the instance lock, the store, the
/// engine, the reload handler and what systemd is told.
private struct Daemon: Sendable {
    let logger: Logger
    let notifier: SystemdNotifier?
    let engine: WatcherEngine
    private let monitor: CancellableService
    private let lock: InstanceLock
    private let store: WatchStore
    private let pruner: RetentionPruner?
    private let reloader: ConfigReload
    private let merchantCount: Int

    init(_ arguments: Arguments) async throws(CLIError) {
        let loaded = try Setup.configuration(try arguments.required("config"))
        let configuration = loaded.configuration
        let scheduler = try Setup.scheduler(
            named: arguments.value("scheduler"), minimumInterval: configuration.polling.minimumIntervalSeconds)
        let output = try Setup.logOutput(configuration)
        let logger = Logger(sink: output)
        for warning in loaded.warnings { logger.warning("config.warning", ["warning": .string(warning)]) }
        let credentials = try Setup.credentials(configuration)
        // A configuration error (exit 2, which the unit does not restart), not a failure to retry every 5 s.
        if let problem = Setup.readOnlyViewProblem((configuration.database as NSString).deletingLastPathComponent) {
            throw .configuration("cannot open database \(configuration.database): \(problem)")
        }
        do {
            lock = try InstanceLock.acquire(databasePath: configuration.database)
        } catch {
            let event = if case .alreadyRunning = error { "watcher.already_running" } else { "watcher.lock_failed" }
            logger.error(event, ["error": .string(error.description)])
            throw .runtime(error.description)
        }
        let rewriteNotice = Setup.rewriteNotice(configuration.database)
        if let rewriteNotice { logger.info("database.rewriting", ["reason": .string(rewriteNotice)]) }
        let transport = try Setup.transport(configuration, logger: logger)
        let notifier = SystemdNotifier()
        if rewriteNotice != nil, let notifier {
            // Minutes on a large file: past TimeoutStartSec= systemd would kill it and restart it from the beginning.
            store = try notifier.extendingStartTimeout(status: "rewriting the database once (VACUUM), see the log") {
                () throws(CLIError) in try Setup.store(configuration.database)
            }
        } else {
            store = try Setup.store(configuration.database)
        }
        for index in store.restoredIndexes {
            logger.warning("database.index_restored", ["index": .string(index), "database": .string(store.path)])
        }
        let endpoints = Setup.endpoints(configuration, credentials: credentials, transport: transport, logger: logger)
        let clients = endpoints.map(\.client)
        let pruner: RetentionPruner?
        do {
            pruner = try Setup.pruner(configuration, logger: logger)
        } catch {
            store.close()
            throw error
        }
        do {
            try await Setup.preparePlatformCertificates(clients, logger: logger)
        } catch {
            pruner?.close()
            store.close()
            throw error
        }
        self.pruner = pruner
        var settings = Setup.engineSettings(configuration)
        // A restart must not spend a full second's budget on top of the last second of the instance before it.
        let previous = try? await store.lastProcess()
        settings.startHold = EngineSettings.startHold(
            stoppedAt: previous?.stoppedAt.flatMap(Timestamp.parse),
            heartbeatAt: previous.flatMap { Timestamp.parse($0.heartbeatAt) }, now: Date())
        if settings.startHold > 0 {
            logger.info(
                "engine.start_held",
                [
                    "seconds": .double((settings.startHold * 100).rounded() / 100),
                    "reason":
                        "the previous instance was polling moments ago; WeChat Pay still counts its last requests",
                ])
        }
        if let watchdog = WatchdogSettings() {
            // The watchdog is pinged only after intake's loop has gone round again.
            settings.intakeIdleInterval = min(settings.intakeIdleInterval, watchdog.pingInterval / 2)
        }
        // The engine's tasks, actors and timers on one thread: hand-offs between them wake no other thread.
        let thread = EngineThread(name: "wechatpay-engine")
        engine = WatcherEngine(
            store: store,
            kinds: Setup.kinds,
            merchants: endpoints,
            settings: settings,
            scheduler: scheduler,
            clock: SystemClock(timers: thread),
            logger: logger,
            identity: ProcessIdentity(pid: getpid(), hostname: Setup.hostname, version: wechatpayWatcherVersion),
            executor: thread
        )
        let reloader = ConfigReload(configuration: configuration, output: output, logger: logger)
        logger.info(
            "watcher.started",
            [
                "version": .string(wechatpayWatcherVersion), "config": .string(configuration.configFile),
                "database": .string(configuration.database), "merchants": .int(credentials.count),
                "scheduler": .string(scheduler.name), "pid": .int(Int(getpid())),
            ]
        )
        let monitor = ServiceMonitor(
            statistics: engine.statistics, clients: clients, notifier: notifier, watchdog: Self.watchdog(logger),
            metricsFile: { reloader.current.metricsFile },
            onMetricsFailure: { logger.warning("metrics.write_failed", ["error": .string($0)]) })
        self.monitor = CancellableService { await monitor.run() }
        self.logger = logger
        self.notifier = notifier
        self.reloader = reloader
        self.merchantCount = credentials.count
    }

    /// SIGHUP: reopen the log and reread the configuration, telling systemd.
    func reload() {
        notifier?.reloading()
        reloader.reload()
        notifier?.ready()
    }

    /// READY=1 goes first: configuration, keys and schema are good. Then the periodic STATUS and WATCHDOG.
    func announceReady() {
        guard let notifier else { return }
        do {
            try notifier.deliver("READY=1\nSTATUS=watching \(merchantCount) merchant(s)")
        } catch {
            logger.warning(
                "systemd.notify_failed",
                [
                    "error": .string(error.description),
                    "hint": "systemd waits for READY=1 and will time the start out; check NOTIFY_SOCKET",
                ])
        }
    }

    /// The services that run beside the engine's own: systemd's status and watchdog, heap return, the lock's guard,
    /// and retention when configured (a service that returns stops the group, so an absent pruner is no service).
    var services: [any Service] {
        var services: [any Service] = [
            monitor, CancellableService { await HeapReturn.run() },
            CancellableService { [lock, logger] in try await LockGuard(lock: lock, logger: logger).watch() },
        ]
        if let pruner { services.append(CancellableService { await pruner.run() }) }
        return services
    }

    /// The instance lock is held until here; the store closes last.
    func close() {
        pruner?.close()
        store.close()
        withExtendedLifetime(lock) {}
    }

    private static func watchdog(_ logger: Logger) -> WatchdogSettings? {
        switch WatchdogSettings.resolve() {
        case .enabled(let settings):
            logger.info("watchdog.enabled", ["ping_every_seconds": .double(settings.pingInterval)])
            return settings
        case .disabled(let reason):
            if ProcessInfo.processInfo.environment["WATCHDOG_USEC"] != nil {
                logger.warning("watchdog.disabled", ["reason": .string(reason)])
            }
            return nil
        }
    }
}
