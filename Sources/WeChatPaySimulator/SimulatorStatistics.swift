/// What the simulator saw for one merchant and API.
package struct SimulatedLaneStatistics: Sendable, Codable, Equatable {
    /// Every request that reached routing, including refused ones.
    package var requests = 0
    /// Answers by HTTP status (as text, for JSON).
    package var statuses: [String: Int] = [:]
    /// 429s sent because the budget was exceeded (not injected ones).
    package var throttled = 0
    /// Faults injected, by name.
    package var faults: [String: Int] = [:]
    /// The largest number of requests that arrived in any one-second window, refused ones included.
    package var maxRequestsInAnySecond = 0
    /// Requests without `Accept: application/json`, `Wechatpay-Serial` or `User-Agent`.
    package var missingHeaders = 0

    /// Empty statistics.
    package init() {}
}

/// Everything the simulator counted, keyed by `"<mchid>/<api>"`.
package struct SimulatorStatistics: Sendable, Codable, Equatable {
    /// Per merchant and API.
    package var lanes: [String: SimulatedLaneStatistics] = [:]
    /// Polls answered per resource (`"<api>/<mchid>/<id>"`), for polls-per-task figures.
    package var pollsPerResource: [String: Int] = [:]
    /// Requests answered 401 `SIGN_ERROR` (before any lane is known, so in no lane's figures).
    package var signErrors = 0
    /// Of those, requests whose nonce had been used already: a re-sent request.
    package var replayedNonces = 0

    /// Empty statistics.
    package init() {}

    /// Sum of requests over all lanes.
    package var totalRequests: Int { lanes.values.reduce(0) { $0 + $1.requests } }
    /// Sum of budget 429s over all lanes.
    package var totalThrottled: Int { lanes.values.reduce(0) { $0 + $1.throttled } }
    /// The largest one-second window of any lane.
    package var maxRequestsInAnySecond: Int { lanes.values.map(\.maxRequestsInAnySecond).max() ?? 0 }
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

/// What the simulator's HTTP server counted below the API: connections and TLS handshakes.
package struct SimulatorConnectionStatistics: Sendable, Equatable {
    /// TCP connections accepted.
    package var connectionsAccepted = 0
    /// TLS handshakes that succeeded.
    package var handshakesCompleted = 0
    /// TLS handshakes that failed or never finished: connections that never reached the HTTP layer.
    package var handshakesFailed = 0
    /// OpenSSL's reason for the latest failed handshake, e.g. "tlsv1 alert unknown ca".
    package var lastHandshakeFailure: String?
    /// Requests that reached the HTTP layer (the admin API's included).
    package var requestsHandled = 0

    /// Every figure, for the simulator's own use.
    package init(
        connectionsAccepted: Int = 0, handshakesCompleted: Int = 0, handshakesFailed: Int = 0,
        lastHandshakeFailure: String? = nil, requestsHandled: Int = 0
    ) {
        self.connectionsAccepted = connectionsAccepted
        self.handshakesCompleted = handshakesCompleted
        self.handshakesFailed = handshakesFailed
        self.lastHandshakeFailure = lastHandshakeFailure
        self.requestsHandled = requestsHandled
    }
}
