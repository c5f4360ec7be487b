import Foundation
import Testing
import WatcherEngine

@Suite("What the engine reports about its queue")
struct MonitoringTests {
    let lane = LaneKey(merchant: "1900000001", resource: "image_generation_task")
    let other = LaneKey(merchant: "1900000002", resource: "image_generation_task")

    @Test("the oldest pending row's age is measured at the snapshot, from the creation time last counted")
    func oldestPendingAge() {
        let statistics = EngineStatistics()
        statistics.update(lane) { $0.oldestPendingCreatedAt = 1_000 }
        statistics.update(other) { $0.oldestPendingCreatedAt = 1_200 }
        let early = statistics.snapshot(at: 0, wallNow: Date(timeIntervalSince1970: 1_300))
        #expect(early.lanes[lane]?.oldestPendingAge == 300)
        #expect(early.lanes[other]?.oldestPendingAge == 100)
        #expect(early.oldestPendingAge == 300)
        let later = statistics.snapshot(at: 60, wallNow: Date(timeIntervalSince1970: 1_360))
        #expect(later.oldestPendingAge == 360, "the age grows between counts")
    }

    @Test("with nothing pending the oldest age is absent per lane and 0 overall")
    func nothingPending() {
        let statistics = EngineStatistics()
        statistics.update(lane) { $0.pending = 0 }
        let snapshot = statistics.snapshot(at: 0, wallNow: Date())
        #expect(snapshot.lanes[lane]?.oldestPendingAge == nil)
        #expect(snapshot.oldestPendingAge == 0)
    }

    @Test("the status line names the pending rows and the oldest one's age")
    func statusLine() {
        let statistics = EngineStatistics()
        statistics.update(lane) {
            $0.pending = 7
            $0.oldestPendingCreatedAt = 1_000
        }
        let line = StatusLine.make(statistics.snapshot(at: 0, wallNow: Date(timeIntervalSince1970: 4_600.4)))
        #expect(line.hasPrefix("pending=7 oldest_pending_seconds=3600 requests=0"), "\(line)")
    }
}
