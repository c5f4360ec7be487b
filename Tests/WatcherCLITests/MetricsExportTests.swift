import Foundation
import Testing
import WatcherCLI
import WatcherEngine

@Suite("The metrics textfile")
struct MetricsExportTests {
    @Test("wechatpay_watcher_oldest_pending_seconds is the age of each lane's oldest unfinished row")
    func oldestPending() {
        let statistics = EngineStatistics()
        let lane = LaneKey(merchant: "1900000001", resource: "image_generation_task")
        statistics.update(lane) {
            $0.pending = 3
            $0.oldestPendingCreatedAt = 1_000
        }
        let text = MetricsExport.textfile(statistics.snapshot(at: 0, wallNow: Date(timeIntervalSince1970: 1_750)))
            .render()
        #expect(
            text.contains(
                "wechatpay_watcher_oldest_pending_seconds{api=\"image_generation_task\",merchant=\"1900000001\"} 750"),
            "\(text)")
        #expect(text.contains("wechatpay_watcher_pending{api=\"image_generation_task\",merchant=\"1900000001\"} 3"))
    }
}
