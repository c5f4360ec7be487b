import Foundation
import Testing
import WatcherEngine

@Suite("Start hold: a restart waits out the last second of the instance before it")
struct StartHoldTests {
    let now = Date(timeIntervalSince1970: 1_796_000_000)

    @Test("a clean stop half a second ago: hold until the server's window has passed over its last requests")
    func cleanStop() {
        let hold = EngineSettings.startHold(stoppedAt: now - 0.5, heartbeatAt: now - 3, now: now)
        #expect(abs(hold - 0.6) < 1e-9)
        #expect(EngineSettings.startHold(stoppedAt: now - 5, heartbeatAt: now - 5, now: now) == 0)
    }

    @Test("no clean stop (a crash): it may have sent until one heartbeat interval after its last heartbeat")
    func crash() {
        let hold = EngineSettings.startHold(stoppedAt: nil, heartbeatAt: now - 2, now: now)
        #expect(abs(hold - 4.1) < 1e-9)
        #expect(EngineSettings.startHold(stoppedAt: nil, heartbeatAt: now - 60, now: now) == 0)
    }

    @Test("a fresh database holds nothing; a clock that jumped back holds one heartbeat and one window at most")
    func bounds() {
        #expect(EngineSettings.startHold(stoppedAt: nil, heartbeatAt: nil, now: now) == 0)
        #expect(abs(EngineSettings.startHold(stoppedAt: now + 3_600, heartbeatAt: nil, now: now) - 6.1) < 1e-9)
    }
}
