/// What the simulator saw for one merchant and API.
public struct SimulatedLaneStatistics: Sendable, Codable, Equatable {
    /// Every request that reached routing, including refused ones.
    public var requests = 0
    /// Answers by HTTP status (as text, for JSON).
    public var statuses: [String: Int] = [:]
    /// 429s sent because the budget was exceeded (not injected ones).
    public var throttled = 0
    /// Faults injected, by name.
    public var faults: [String: Int] = [:]
    /// The largest number of requests that arrived in any one-second window, refused ones included.
    public var maxRequestsInAnySecond = 0
    /// Requests without `Accept: application/json`, `Wechatpay-Serial` or `User-Agent`.
    public var missingHeaders = 0

    /// Empty statistics.
    public init() {}
}

/// Everything the simulator counted, keyed by `"<mchid>/<api>"`.
public struct SimulatorStatistics: Sendable, Codable, Equatable {
    /// Per merchant and API.
    public var lanes: [String: SimulatedLaneStatistics] = [:]
    /// Polls answered per resource (`"<api>/<mchid>/<id>"`), for polls-per-task figures.
    public var pollsPerResource: [String: Int] = [:]

    /// Empty statistics.
    public init() {}

    /// Sum of requests over all lanes.
    public var totalRequests: Int { lanes.values.reduce(0) { $0 + $1.requests } }
    /// Sum of budget 429s over all lanes.
    public var totalThrottled: Int { lanes.values.reduce(0) { $0 + $1.throttled } }
    /// The largest one-second window of any lane.
    public var maxRequestsInAnySecond: Int { lanes.values.map(\.maxRequestsInAnySecond).max() ?? 0 }
}

/// Arrival times of one lane, for enforcing the budget and for the exact largest-window figure.
struct ArrivalLog {
    private(set) var arrivals: [Double] = []
    /// Accepted arrivals of the last seconds, sorted.
    private var accepted: [Double] = []
    private var latest = -Double.infinity

    /// Records an arrival; returns false when accepting it would put more than `limit` accepted requests in some
    /// window [t, t + 1 s). Request threads record arrivals slightly out of order, so the check looks at the windows
    /// on both sides of `time`, not only the second before it.
    mutating func admit(at time: Double, limit: Int) -> Bool {
        arrivals.append(time)
        latest = max(latest, time)
        // Threads reorder arrivals by milliseconds, so what is two seconds older than the newest can no longer
        // share a window with anything still to come.
        accepted.removeAll { $0 < latest - 2 }
        let index = accepted.firstIndex { $0 > time } ?? accepted.endIndex
        accepted.insert(time, at: index)
        // Any limit + 1 accepted arrivals that include this one must span at least a second.
        for first in max(0, index - limit)...index where first + limit < accepted.count {
            if accepted[first + limit] - accepted[first] < 1 {
                accepted.remove(at: index)
                return false
            }
        }
        return true
    }

    /// The most arrivals in any half-open window [t, t + 1 s), computed exactly from the whole log (request
    /// threads may record arrivals slightly out of order).
    var maxInAnySecond: Int {
        let sorted = arrivals.sorted()
        var best = 0
        var start = 0
        for end in sorted.indices {
            while sorted[end] - sorted[start] >= 1 { start += 1 }
            best = max(best, end - start + 1)
        }
        return best
    }
}
