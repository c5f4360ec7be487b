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
/// the server never closes one under a request) or as soon as the server closes it or sends anything unasked.
///
/// There is no cap: an exchange that finds no idle connection opens one, so there are as many as the requests in
/// flight need, and no request waits for another's connection.
final class ConnectionPool: Sendable {
    private struct Idle {
        var connection: Connection
        var watch: Int
    }

    let idleLimit: Duration
    private let idle = Locked<[PoolKey: [Idle]]>([:])

    init(idleLimit: Duration) {
        self.idleLimit = idleLimit
    }

    /// The most recently used idle connection for `key` that is still fresh, or nil.
    func take(_ key: PoolKey) -> Connection? {
        while let entry = idle.withLock({ $0[key]?.popLast() }) {
            // The watch ending first means it is evicting this connection right now; it is ours to close.
            let stillWatched = Reactor.shared.cancel(entry.watch)
            let connection = entry.connection
            if stillWatched, ContinuousClock.now - connection.idleSince < idleLimit,
                !connection.hasPendingInputOrClosed
            {
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
        let key = connection.key
        idle.withLock { idle in
            // Registered under the pool's lock so an eviction that fires at once still finds the entry.
            let watch = Reactor.shared.register(
                descriptor: connection.descriptor, events: Int16(POLLIN), deadline: connection.idleSince + idleLimit
            ) { [weak self] _ in
                self?.evict(connection)
            }
            idle[key, default: []].append(Idle(connection: connection, watch: watch))
        }
    }

    /// Closes every idle connection for `key`: after one of them turned out dead, the others (opened to the
    /// same server, likely before the same restart) are suspect too.
    func discard(_ key: PoolKey) {
        let entries = idle.withLock { $0.removeValue(forKey: key) ?? [] }
        for entry in entries {
            _ = Reactor.shared.cancel(entry.watch)
            entry.connection.close()
        }
    }

    /// How many idle connections `key` has now.
    func idleCount(_ key: PoolKey) -> Int {
        idle.withLock { $0[key]?.count ?? 0 }
    }

    private func evict(_ connection: Connection) {
        let found = idle.withLock { idle -> Bool in
            guard let index = idle[connection.key]?.firstIndex(where: { $0.connection === connection }) else {
                return false
            }
            idle[connection.key]?.remove(at: index)
            return true
        }
        if found { connection.close() }
    }

    deinit {
        let all = idle.withLock { idle in
            let all = idle.values.flatMap { $0 }
            idle = [:]
            return all
        }
        for entry in all {
            _ = Reactor.shared.cancel(entry.watch)
            entry.connection.close()
        }
    }
}
