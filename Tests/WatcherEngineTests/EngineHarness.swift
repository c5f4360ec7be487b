import Foundation
import ImageGenerationTasks
import WatcherEngine
import WatcherLog
import WatcherSQLite
import WatcherStore
import WatcherSync
import WatcherTestSupport
import WeChatPay

/// The whole engine in this process: a store in a temporary folder, a ``FakeTransport`` answering as WeChat Pay
/// does, and a ``ManualClock``, so rate-limit windows, timers and retries all run in simulated time.
final class EngineHarness: Sendable {
    static let merchantID = "1900000001"

    let directory = TemporaryDirectory(prefix: "engine-harness")
    let clock = ManualClock()
    let logs = InMemoryLogSink()
    let statistics = EngineStatistics()
    let store: WatchStore
    let transport: FakeTransport
    let engine: WatcherEngine
    /// Monotonic send time of every request, in order, with its task id.
    private let sends = Locked<[(at: Double, id: String)]>([])
    private let finished = Locked<Result<Void, any Error>?>(nil)

    /// - Parameter kinds: the kinds watched, as `Setup.kinds` lists them for the program; the store migrates their
    ///   tables.
    /// - Parameter answer: the `task_state` (and its URL for `SUCCESS`) WeChat Pay gives for a task id; by default
    ///   every task is already `SUCCESS`.
    /// - Parameter outage: when it gives a result for a task id, the request gets that instead (a 5xx, or no
    ///   answer at all).
    init(
        requestsPerSecond: Int = 20,
        writeRetry: Double = 120,
        intakeIdleInterval: Double = 2,
        scheduler: any PollScheduler = BudgetScheduler(),
        kinds: [any ResourceKind] = [ImageGenerationTaskKind()],
        answer: @escaping @Sendable (String) async -> String = { id in EngineHarness.body(id, "SUCCESS") },
        outage: @escaping @Sendable (String) -> Result<HTTPResponse, TransportFailure>? = { _ in nil }
    ) throws {
        store = try WatchStore(
            path: directory.file("watcher.sqlite3"), kinds: kinds.map(\.schema))
        let clock = self.clock
        let sends = self.sends
        transport = FakeTransport { (request) async throws(TransportFailure) -> HTTPResponse in
            let id = URLComponents(string: request.url)?.path.split(separator: "/").last.map(String.init) ?? ""
            sends.withLock { $0.append((clock.monotonicNow(), id)) }
            if let instead = outage(id) { return try instead.get() }
            let body = await answer(id)
            return SignedAnswers.ok(body, timestamp: Int64(clock.wallNow().timeIntervalSince1970))
        }
        let logger = Logger(sink: logs, clock: { clock.wallNow() })
        let client = WeChatPayClient(
            credentials: testCredentials(merchantID: Self.merchantID),
            hosts: APIHosts(primary: "https://primary.example", backup: nil),
            transport: transport,
            // Simulated time may run ahead of real work on a loaded machine: no request may time out meanwhile.
            requestTimeout: .seconds(1_000_000),
            userAgent: "wechatpay-watcher/test",
            clock: ClientClock(wall: { clock.wallNow() }, monotonic: { clock.monotonicNow() }),
            logger: logger
        )
        engine = WatcherEngine(
            store: store,
            kinds: kinds,
            merchants: [MerchantEndpoint(client: client, requestsPerSecond: requestsPerSecond)],
            settings: EngineSettings(intakeIdleInterval: intakeIdleInterval, writeRetry: writeRetry),
            scheduler: scheduler,
            clock: clock,
            logger: logger,
            statistics: statistics
        )
    }

    deinit {
        store.close()
        directory.remove()
    }

    /// A verified answer body for `id` in `state` (`SUCCESS` with its URL).
    static func body(_ id: String, _ state: String) -> String {
        let url = state == "SUCCESS" ? #","combine_image_result":{"image_url":"https://img.example/\#(id).jpg"}"# : ""
        return
            #"{"brand_id":"120344","task_id":"\#(id)","image_generation_type":"COMBINE_IMAGE","task_state":"\#(state)"\#(url)}"#
    }

    /// Starts ``WatcherEngine/run()``; ``result`` holds how it ended.
    func start() {
        let finished = self.finished
        let engine = self.engine
        Task {
            do {
                try await engine.run()
                finished.withLock { $0 = .success(()) }
            } catch {
                finished.withLock { $0 = .failure(error) }
            }
        }
    }

    /// How ``start()``'s run ended; nil while it runs.
    var result: Result<Void, any Error>? { finished.withLock { $0 } }

    /// Inserts rows the way a producer does, in this order, optionally with an explicit `created_at`.
    func insert(_ ids: [String], merchant: String = EngineHarness.merchantID, createdAt: Date? = nil) throws {
        let connection = try SQLiteConnection(path: store.path)
        defer { connection.close() }
        // A producer waits for the engine's write lock, as the README tells producers to.
        connection.setBusyTimeout(milliseconds: 10_000)
        try connection.transaction {
            for id in ids {
                try connection.run(
                    """
                    INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type, created_at)
                    VALUES (?, ?, '120344', 'COMBINE_IMAGE', coalesce(?, strftime('%Y-%m-%dT%H:%M:%fZ','now')))
                    """,
                    [.text(merchant), .text(id), createdAt.map { .text(Timestamp.rfc3339($0)) } ?? .null]
                )
            }
        }
    }

    /// Runs arbitrary SQL on a producer's connection.
    func execute(_ sql: String) throws {
        let connection = try SQLiteConnection(path: store.path)
        defer { connection.close() }
        connection.setBusyTimeout(milliseconds: 10_000)
        try connection.execute(sql)
    }

    /// Every row's state and error, by task id.
    func rows() throws -> [String: (state: String, error: String?)] {
        let connection = try SQLiteConnection(path: store.path, mode: .readOnly)
        defer { connection.close() }
        var rows: [String: (String, String?)] = [:]
        for row in try connection.query("SELECT task_id, state, error FROM image_generation_tasks") {
            rows[row[0].stringValue ?? ""] = (row[1].stringValue ?? "", row[2].stringValue)
        }
        return rows
    }

    /// The task ids of the requests sent so far, in order.
    var sentIDs: [String] { sends.withLock { $0.map(\.id) } }

    /// When each request so far was sent (monotonic simulated seconds) and for which task id, in order.
    var sent: [(at: Double, id: String)] { sends.withLock { $0 } }

    /// The largest number of requests sent within any one second of simulated time.
    var mostSendsInOneSecond: Int {
        let times = sends.withLock { $0.map(\.at) }
        var most = 0
        var first = 0
        for last in times.indices {
            while times[last] - times[first] >= 1 { first += 1 }
            most = max(most, last - first + 1)
        }
        return most
    }

    /// Lets the engine work, moving simulated time on by `step` whenever it has run out of things to do now, until
    /// `condition` holds or `limit` simulated seconds have passed. Never sleeps on the wall clock.
    @discardableResult
    func advance(
        step: Double = 0.05, limit: Double = 600, until condition: () throws -> Bool
    ) async rethrows -> Bool {
        let end = clock.monotonicNow() + limit
        while clock.monotonicNow() < end {
            for _ in 0..<200 { await Task.yield() }
            if try condition() { return true }
            clock.advance(by: step)
        }
        return try condition()
    }
}
