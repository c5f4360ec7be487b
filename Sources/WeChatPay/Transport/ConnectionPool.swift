import Glibc
import WatcherSync

/// What a kept-alive connection can be reused for: the same scheme, host, port and proxy.
struct PoolKey: Hashable, Sendable {
    var scheme: String
    var host: String
    var port: Int
    var proxy: HTTPProxy?
}

/// Idle keep-alive connections per ``PoolKey``, each closed once idle for the limit (below the server's 8 s, so
/// the server never closes one under a request), and never reused after the server closed it or sent anything
/// unasked.
///
/// There is no cap: an exchange that finds no idle connection opens one, so there are as many as the requests in
/// flight need, and no request waits for another's connection. One reactor deadline per pool, at the oldest idle
/// connection's limit, closes what aged: putting a connection back costs no wake-up of the reactor's thread.
final class ConnectionPool: Sendable {
    private struct State {
        var idle: [PoolKey: [Connection]] = [:]
        /// The reactor wait that sweeps out aged connections; nil while none is idle.
        var sweep: Int?
    }

    let idleLimit: Duration
    private let state = Locked(State())

    init(idleLimit: Duration) {
        self.idleLimit = idleLimit
    }

    /// The most recently used idle connection for `key` that is still fresh, or nil.
    func take(_ key: PoolKey) -> Connection? {
        while let connection = state.withLock({ $0.idle[key]?.popLast() }) {
            if ContinuousClock.now - connection.idleSince < idleLimit, !connection.hasPendingInputOrClosed {
                return connection
            }
            connection.close()
        }
        return nil
    }

    /// Keeps `connection` for reuse until it has been idle for the limit.
    func put(_ connection: Connection) {
        connection.isReused = true
        connection.idleSince = ContinuousClock.now
        state.withLock { state in
            state.idle[connection.key, default: []].append(connection)
            if state.sweep == nil { state.sweep = scheduleSweep(at: connection.idleSince + idleLimit) }
        }
    }

    /// Closes every idle connection for `key`: after one of them turned out dead, the others (opened to the
    /// same server, likely before the same restart) are suspect too.
    func discard(_ key: PoolKey) {
        let connections = state.withLock { $0.idle.removeValue(forKey: key) ?? [] }
        for connection in connections { connection.close() }
    }

    /// How many idle connections `key` has now.
    func idleCount(_ key: PoolKey) -> Int {
        state.withLock { $0.idle[key]?.count ?? 0 }
    }

    /// Registered under the pool's lock, so a sweep that fires at once still finds the pool's state settled.
    private func scheduleSweep(at deadline: ContinuousClock.Instant) -> Int {
        Reactor.shared.register(descriptor: -1, events: 0, deadline: deadline) { [weak self] _ in
            self?.sweep()
        }
    }

    /// Closes the connections that reached the limit or that the server closed, and waits for the next oldest.
    private func sweep() {
        let now = ContinuousClock.now
        let aged = state.withLock { state -> [Connection] in
            var aged: [Connection] = []
            var oldest: ContinuousClock.Instant?
            for (key, connections) in state.idle {
                var kept: [Connection] = []
                for connection in connections {
                    if now - connection.idleSince >= idleLimit || connection.hasPendingInputOrClosed {
                        aged.append(connection)
                    } else {
                        kept.append(connection)
                        oldest = min(oldest ?? connection.idleSince, connection.idleSince)
                    }
                }
                state.idle[key] = kept.isEmpty ? nil : kept
            }
            state.sweep = oldest.map { scheduleSweep(at: $0 + idleLimit) }
            return aged
        }
        for connection in aged { connection.close() }
    }

    deinit {
        let (connections, sweep) = state.withLock { state in
            defer { state = State() }
            return (state.idle.values.flatMap { $0 }, state.sweep)
        }
        if let sweep { _ = Reactor.shared.cancel(sweep) }
        for connection in connections { connection.close() }
    }
}
