import Foundation
import WatcherLog
import WatcherStore
import WatcherSync
import WeChatPay

/// A merchant as the engine sees it: a client that speaks for it and its budget per API.
public struct MerchantEndpoint: Sendable {
    /// The signed, verifying client.
    public var client: WeChatPayClient
    /// Requests per second allowed per API (the documented limit is 20).
    public var requestsPerSecond: Int

    /// Creates an endpoint.
    public init(client: WeChatPayClient, requestsPerSecond: Int) {
        self.client = client
        self.requestsPerSecond = requestsPerSecond
    }
}

/// Engine tuning beyond the polling settings.
public struct EngineSettings: Sendable {
    /// Shared polling settings.
    public var polling: PollingTuning
    /// Seconds added to the rate limiter's one-second window.
    public var safetyMargin: Double
    /// Back-off and recovery of the limiter after 429s.
    public var limiterTuning: RateLimiter.Tuning
    /// How often intake checks for new rows.
    public var intakeInterval: Double
    /// How long failing writes are retried before the engine stops with a failure (a lock is waited out).
    public var writeRetry: Double

    /// Creates settings.
    public init(
        polling: PollingTuning = PollingTuning(),
        safetyMargin: Double = 0.002,
        limiterTuning: RateLimiter.Tuning = RateLimiter.Tuning(),
        intakeInterval: Double = 0.1,
        writeRetry: Double = 120
    ) {
        self.polling = polling
        self.safetyMargin = safetyMargin
        self.limiterTuning = limiterTuning
        self.intakeInterval = intakeInterval
        self.writeRetry = writeRetry
    }
}

/// Why the engine stopped on its own.
public struct EngineFailure: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var reason: String

    /// A human-readable account, for logs and error messages.
    public var description: String { reason }
}

/// The watcher: intake, one lane per merchant and kind, and the writer, run together until stopped.
///
/// Shutdown is a first-class path (swift-service-lifecycle's lesson): ``stop()`` stops new polls at once; ``run()``
/// returns only after every poll in flight has its answer (or timed out) and every answer is committed.
public final class WatcherEngine: Sendable {
    /// The engine's counters.
    public let statistics: EngineStatistics
    private let lanes: [LaneKey: Lane]
    private let intake: Intake
    private let writer: ResultWriter
    private let environment: LaneEnvironment
    private let recorder: ActivityRecorder
    private let failure: FatalFailure

    /// Assembles the engine.
    ///
    /// - Parameters:
    ///   - kinds: the resource kinds to watch; each merchant gets one lane per kind.
    ///   - scheduler: places re-polls of unfinished rows.
    public init(
        store: WatchStore,
        kinds: [any ResourceKind],
        merchants: [MerchantEndpoint],
        settings: EngineSettings,
        scheduler: any PollScheduler,
        clock: any WatcherClock = SystemClock(),
        logger: Logger,
        statistics: EngineStatistics = EngineStatistics(),
        identity: ProcessIdentity? = nil
    ) {
        self.statistics = statistics
        let failure = FatalFailure()
        self.failure = failure
        let writer = ResultWriter(
            sink: store, clock: clock, logger: logger, statistics: statistics, giveUpAfter: settings.writeRetry
        ) { [weak failure] reason in
            // Weak: the failure's action holds the lanes, whose environment holds this writer; a strong capture
            // would make a cycle that outlives the engine.
            logger.error("engine.fatal", ["error": .string(reason)])
            failure?.record(reason)
        }
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
        for merchant in merchants {
            let gate = MerchantGate(mchid: merchant.client.mchid)
            for kind in kinds {
                let limiter = RateLimiter(
                    limit: merchant.requestsPerSecond,
                    safetyMargin: settings.safetyMargin,
                    tuning: settings.limiterTuning
                )
                let lane = Lane(
                    kind: kind, client: merchant.client, gate: gate, limiter: limiter, environment: environment)
                lanes[lane.key] = lane
            }
        }
        self.lanes = lanes
        self.writer = writer
        self.environment = environment
        self.intake = Intake(
            kinds: kinds,
            merchants: Set(merchants.map(\.client.mchid)),
            lanes: lanes,
            environment: environment,
            interval: settings.intakeInterval
        )
        self.recorder = ActivityRecorder(
            store: store,
            statistics: statistics,
            clock: clock,
            logger: logger,
            identity: identity
        )
        let lanesToStop = Array(lanes.values)
        let intake = self.intake
        failure.onRecord { Self.stop(intake: intake, lanes: lanesToStop) }
    }

    /// The lanes, one per merchant and kind.
    public var laneKeys: [LaneKey] { lanes.keys.sorted() }

    /// Runs until ``stop()`` is called and everything received is written; throws if the database could not be
    /// written for long enough that the process should exit and be restarted.
    public func run() async throws {
        environment.logger.info("engine.started", ["lanes": .int(lanes.count)])
        let recording = Task { await recorder.run() }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.intake.run() }
            for lane in lanes.values {
                group.addTask { await lane.run() }
            }
        }
        await intake.stop()
        await recorder.stop()
        await recording.value
        if let reason = failure.reason {
            throw EngineFailure(reason: reason)
        }
        environment.logger.info("engine.stopped")
    }

    /// Stops starting polls. Polls in flight finish and are written; then ``run()`` returns.
    public func stop() {
        Self.stop(intake: intake, lanes: Array(lanes.values))
    }

    private static func stop(intake: Intake, lanes: [Lane]) {
        Task {
            await intake.stop()
            for lane in lanes { await lane.stop() }
        }
    }

    /// Updates waiting to be written.
    public func writeBacklog() async -> Int {
        await writer.backlog
    }
}

/// The first fatal failure, and what to do when it happens (stop the engine). Set once.
private final class FatalFailure: Sendable {
    private struct State {
        var reason: String?
        var action: (@Sendable () -> Void)?
    }

    private let state = Locked(State())

    var reason: String? { state.withLock { $0.reason } }

    func onRecord(_ action: @escaping @Sendable () -> Void) {
        state.withLock { $0.action = action }
    }

    func record(_ reason: String) {
        let action = state.withLock { state -> (@Sendable () -> Void)? in
            guard state.reason == nil else { return nil }
            state.reason = reason
            return state.action
        }
        action?()
    }
}
