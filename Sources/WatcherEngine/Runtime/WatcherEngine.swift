import Foundation
import WatcherLog
import WatcherServices
import WatcherStore
import WatcherSync
import WeChatPay

/// A merchant as the engine sees it: a client that speaks for it and its budget per API.
package struct MerchantEndpoint: Sendable {
    /// The signed, verifying client.
    package var client: WeChatPayClient
    /// Requests per second allowed per API (the documented limit is 20).
    package var requestsPerSecond: Int

    /// Creates an endpoint.
    package init(client: WeChatPayClient, requestsPerSecond: Int) {
        self.client = client
        self.requestsPerSecond = requestsPerSecond
    }
}

/// Engine tuning beyond the polling settings.
package struct EngineSettings: Sendable {
    /// Shared polling settings.
    package var polling: PollingTuning
    /// Seconds added to the rate limiter's one-second window.
    package var safetyMargin: Double
    /// Back-off and recovery of the limiter after 429s.
    package var limiterTuning: RateLimiter.Tuning
    /// How soon intake checks again after a write to the database was reported (or always, without inotify).
    package var intakeInterval: Double
    /// How often intake checks for new rows while no writes are reported; also how often it shows progress to the
    /// watchdog, so it must stay below half the watchdog's ping interval.
    package var intakeIdleInterval: Double
    /// How long failing writes are retried before the engine stops with a failure (a lock is waited out).
    package var writeRetry: Double
    /// Seconds after start before any lane sends: WeChat Pay still counts the last requests of an instance that
    /// stopped just before this one, which no limiter of this process has seen
    /// (``startHold(stoppedAt:heartbeatAt:heartbeat:now:)``).
    package var startHold: Double

    /// Creates settings.
    package init(
        polling: PollingTuning = PollingTuning(),
        safetyMargin: Double = 0.002,
        limiterTuning: RateLimiter.Tuning = RateLimiter.Tuning(),
        intakeInterval: Double = 0.1,
        intakeIdleInterval: Double = 2,
        writeRetry: Double = 120,
        startHold: Double = 0
    ) {
        self.polling = polling
        self.safetyMargin = safetyMargin
        self.limiterTuning = limiterTuning
        self.intakeInterval = intakeInterval
        self.intakeIdleInterval = intakeIdleInterval
        self.writeRetry = writeRetry
        self.startHold = startHold
    }

    /// How long to hold back after a previous instance was last seen alive on the database at `lastSeen` (its
    /// clean stop, or else its last heartbeat, after which it may have gone on sending for one `heartbeat`
    /// interval): until the server's one-second window has passed over its last requests.
    package static func startHold(stoppedAt: Date?, heartbeatAt: Date?, heartbeat: Double = 5, now: Date) -> Double {
        let window = 1.1
        let quietFrom = stoppedAt ?? heartbeatAt.map { $0.addingTimeInterval(heartbeat) }
        guard let quietFrom else { return 0 }
        return min(heartbeat + window, max(0, quietFrom.timeIntervalSince(now) + window))
    }
}

/// Why the engine stopped on its own.
package struct EngineFailure: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    package var reason: String

    /// A human-readable account, for logs and error messages.
    package var description: String { reason }
}

/// The watcher: intake, one lane per merchant and kind, the writer and the activity recorder, run as one
/// ``ServiceGroup`` until stopped.
///
/// Shutdown is a first-class path: ``stop()`` (or the first part to end, e.g. the writer giving up on the database)
/// stops the parts in reverse order of start: intake and the lanes stop starting polls, polls in flight get their
/// answers (or time out), the writer commits everything received, and the recorder writes the final heartbeat.
package final class WatcherEngine: Sendable {
    /// The engine's counters.
    package let statistics: EngineStatistics
    private let logger: Logger
    private let laneCount: Int
    private let trigger = StopTrigger()
    private let executor: (any TaskExecutor)?
    /// In start order; stopped last-first.
    private let parts: [any Service]

    /// Assembles the engine.
    ///
    /// - Parameters:
    ///   - kinds: the resource kinds to watch; each merchant gets one lane per kind.
    ///   - scheduler: places re-polls of unfinished rows.
    ///   - executor: where the engine's tasks and actors run (the daemon's ``EngineThread``); nil: the global pool.
    package init(
        store: WatchStore,
        kinds: [any ResourceKind],
        merchants: [MerchantEndpoint],
        settings: EngineSettings,
        scheduler: any PollScheduler,
        clock: any WatcherClock = SystemClock(),
        logger: Logger,
        statistics: EngineStatistics = EngineStatistics(),
        identity: ProcessIdentity? = nil,
        executor: (any TaskExecutor)? = nil
    ) {
        self.statistics = statistics
        self.executor = executor
        self.logger = logger
        let writer = ResultWriter(
            sink: store, clock: clock, logger: logger, statistics: statistics, giveUpAfter: settings.writeRetry)
        let environment = LaneEnvironment(
            store: store,
            writer: writer,
            scheduler: scheduler,
            policy: AnswerPolicy(settings: settings.polling),
            clock: clock,
            logger: logger,
            statistics: statistics
        )
        var lanes: [LaneKey: Lane] = [:]
        let sendsFrom = clock.monotonicNow() + settings.startHold
        for merchant in merchants {
            let gate = MerchantGate(merchantID: merchant.client.merchantID)
            for kind in kinds {
                let limiter = RateLimiter(
                    limit: merchant.requestsPerSecond,
                    safetyMargin: settings.safetyMargin,
                    tuning: settings.limiterTuning
                )
                let lane = Lane(
                    kind: kind, client: merchant.client, gate: gate, limiter: limiter, environment: environment,
                    sendsFrom: sendsFrom)
                lanes[lane.key] = lane
            }
        }
        laneCount = lanes.count
        statistics.register(lanes.keys)
        let intake = Intake(
            kinds: kinds,
            merchants: Set(merchants.map(\.client.merchantID)),
            lanes: lanes,
            environment: environment,
            interval: settings.intakeInterval,
            idleInterval: settings.intakeIdleInterval
        )
        let recorder = ActivityRecorder(
            store: store, statistics: statistics, clock: clock, logger: logger, identity: identity)
        let laneGroup = LaneGroup(lanes.sorted { $0.key < $1.key }.map(\.value))
        parts = [recorder, writer, laneGroup, intake]
    }

    /// Runs until ``stop()`` is called (or one of `alongside` ends) and everything received is written; throws if
    /// the database could not be written for long enough that the process should exit and be restarted.
    ///
    /// - Parameter alongside: the process's other services, started after the engine's parts and stopped before.
    package func run(alongside services: [any Service] = []) async throws {
        logger.info("engine.started", ["lanes": .int(laneCount)])
        let group = ServiceGroup(parts + services + [trigger])
        try await withTaskExecutorPreference(executor) { try await group.run() }
        logger.info("engine.stopped")
    }

    /// Stops starting polls. Polls in flight finish and are written; then ``run()`` returns. A stop before ``run()``
    /// makes it return at once.
    package func stop() {
        trigger.trigger()
    }
}

/// Every lane, as one service: they stop together, so no lane keeps polling while another drains.
private struct LaneGroup: Service {
    let lanes: [Lane]

    init(_ lanes: [Lane]) {
        self.lanes = lanes
    }

    func run() async {
        await withDiscardingTaskGroup { group in
            for lane in lanes {
                group.addTask { await lane.run() }
            }
        }
    }

    func stop() async {
        for lane in lanes { await lane.stop() }
    }
}
