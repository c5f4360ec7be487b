import Foundation
import WatcherSync

/// Errors that hit every row of a merchant and API for a while, whatever the brand: the API permission not granted
/// yet (403 `NO_AUTH`), or a business state that refuses every request (400 `INVALID_REQUEST`).
package final class SimulatedRefusals: Sendable {
    private struct Refusal {
        var mchid: String
        var api: SimulatedAPI
        var status: Int
        var code: String
        var message: String
        var until: Date
    }

    private let active = Locked<[Refusal]>([])

    init() {}

    /// Refuses every query of `mchid` on `api` with `status`/`code` for `seconds` from now.
    package func refuseAll(
        mchid: String, api: SimulatedAPI = .imageGenerationTask, status: Int = 403, code: String = "NO_AUTH",
        message: String = "商户号未开通该接口权限", seconds: Double
    ) {
        let refusal = Refusal(
            mchid: mchid, api: api, status: status, code: code, message: message,
            until: Date().addingTimeInterval(seconds))
        active.withLock { $0.append(refusal) }
    }

    func refusal(mchid: String, api: SimulatedAPI, now: Date) -> SimulatorRefusal? {
        active.withLock { active in
            active.removeAll { $0.until <= now }
            return active.first { $0.mchid == mchid && $0.api == api }.map {
                SimulatorRefusal(status: $0.status, code: $0.code, message: $0.message)
            }
        }
    }
}
