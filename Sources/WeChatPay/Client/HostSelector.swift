import WatcherSync

/// The primary and backup API hosts (`api.mch.weixin.qq.com` and `api2.mch.weixin.qq.com`).
package struct APIHosts: Sendable, Equatable {
    /// The primary base URL, without a trailing slash.
    package var primary: String
    /// The backup base URL, or nil when failover is disabled.
    package var backup: String?

    /// Creates the pair.
    package init(primary: String, backup: String?) {
        self.primary = primary
        self.backup = backup
    }
}

/// What changed in a merchant's routing, so the caller can log it once.
package enum FailoverEvent: Sendable, Equatable {
    /// The primary did not answer at connection level; traffic moves to the backup.
    case switchedToBackup(reason: String)
    /// The backup did not answer either; traffic goes back to the primary.
    case backupUnreachable(reason: String)
    /// A probe of the primary got an answer; traffic returns to it.
    case returnedToPrimary
    /// A probe of the primary failed; traffic stays on the backup until the next probe.
    case primaryStillDown(nextProbeInSeconds: Double)
}

/// Chooses the host for each request of one merchant and moves traffic on connection-level failures only.
///
/// A state machine in the style of swift-service-lifecycle: mutating methods return what happened and the caller
/// logs it, so the lock is never held while doing I/O.
package final class HostSelector: Sendable {
    private struct State {
        var onBackup = false
        var nextProbeAt = 0.0
        var probeInterval: Double
        var probeInFlight = false
    }

    /// The hosts this selector routes between.
    package let hosts: APIHosts
    private let initialProbeInterval: Double
    private let maximumProbeInterval: Double
    private let state: Locked<State>

    /// Creates a selector that starts on the primary.
    ///
    /// - Parameters:
    ///   - probeInterval: how long traffic stays on the backup before the primary is tried again.
    ///   - maximumProbeInterval: the cap of the doubling interval while the primary stays down.
    package init(hosts: APIHosts, probeInterval: Double = 30, maximumProbeInterval: Double = 600) {
        self.hosts = hosts
        self.initialProbeInterval = probeInterval
        self.maximumProbeInterval = maximumProbeInterval
        self.state = Locked(State(probeInterval: probeInterval))
    }

    /// True while traffic goes to the backup host.
    package var isOnBackup: Bool { state.withLock { $0.onBackup } }

    /// The base URL for the next request; a due probe of the primary is handed out to one request at a time.
    package func baseURL(now: Double) -> String {
        state.withLock { state in
            guard state.onBackup, let backup = hosts.backup else { return hosts.primary }
            if now >= state.nextProbeAt, !state.probeInFlight {
                state.probeInFlight = true
                return hosts.primary
            }
            return backup
        }
    }

    /// Records that `baseURL` answered at HTTP level (any status, even 4xx: the host is reachable).
    package func recordAnswer(from baseURL: String, now: Double) -> FailoverEvent? {
        state.withLock { state in
            guard state.onBackup, baseURL == hosts.primary else { return nil }
            state = State(probeInterval: initialProbeInterval)
            return .returnedToPrimary
        }
    }

    /// Records a failure of `baseURL`; only connection-level failures move traffic.
    package func recordFailure(of baseURL: String, failure: TransportFailure, now: Double) -> FailoverEvent? {
        state.withLock { state in
            let wasProbe = state.onBackup && baseURL == hosts.primary
            if wasProbe { state.probeInFlight = false }
            guard failure.isConnectionLevel, hosts.backup != nil else { return nil }
            if wasProbe {
                state.probeInterval = min(state.probeInterval * 2, maximumProbeInterval)
                state.nextProbeAt = now + state.probeInterval
                return .primaryStillDown(nextProbeInSeconds: state.probeInterval)
            }
            if !state.onBackup, baseURL == hosts.primary {
                state.onBackup = true
                state.nextProbeAt = now + state.probeInterval
                return .switchedToBackup(reason: failure.description)
            }
            if state.onBackup, baseURL == hosts.backup {
                state = State(probeInterval: initialProbeInterval)
                return .backupUnreachable(reason: failure.description)
            }
            return nil
        }
    }
}
