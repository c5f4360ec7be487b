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
    private var accepted: [Double] = []

    /// Records an arrival; returns false when `limit` requests were already accepted in the second before it.
    mutating func admit(at time: Double, limit: Int) -> Bool {
        arrivals.append(time)
        accepted.removeAll { $0 <= time - 1 }
        let inWindow = accepted.reduce(0) { $0 + ($1 <= time ? 1 : 0) }
        guard inWindow < limit else { return false }
        accepted.append(time)
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
