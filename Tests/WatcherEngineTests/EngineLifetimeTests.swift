import Foundation
import ImageGenerationTasks
import ProductCoupons
import Testing
import WatcherEngine
import WatcherLog
import WatcherStore
import WatcherTestSupport
import WeChatPay

@Suite("The engine's lifetime")
struct EngineLifetimeTests {
    @Test("an engine let go is freed with the parts it built: no reference cycle keeps them alive")
    func freedWhenReleased() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try WatchStore(
            path: directory.file("watcher.sqlite3"), kinds: [ImageGenerationTaskKind.schema, ProductCouponKind.schema])
        defer { store.close() }
        let logger = Logger(sink: InMemoryLogSink())
        // The statistics are held by the engine's parts only (its lanes, result writer and recorder), so they go
        // exactly when those parts go.
        weak var statistics: EngineStatistics?
        do {
            let counters = EngineStatistics()
            statistics = counters
            let client = WeChatPayClient(
                credentials: testCredentials(),
                hosts: APIHosts(primary: "https://primary.example", backup: nil),
                transport: FakeTransport { _ in SignedAnswers.ok("{}") },
                requestTimeout: .seconds(2),
                userAgent: "wechatpay-watcher/test",
                clock: .system,
                logger: logger
            )
            _ = WatcherEngine(
                store: store,
                kinds: [ImageGenerationTaskKind()],
                merchants: [MerchantEndpoint(client: client, requestsPerSecond: 20)],
                settings: EngineSettings(),
                scheduler: BudgetScheduler(),
                logger: logger,
                statistics: counters
            )
        }
        #expect(statistics == nil)
    }
}
