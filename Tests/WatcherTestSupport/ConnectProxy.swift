import Dispatch
import Foundation
import Glibc
import WatcherSync

/// An HTTP `CONNECT` proxy on 127.0.0.1 for tests: it resolves host names from a map it is given, so a client's
/// `https://api.wechatpay.test:PORT` is reachable through the proxy and nowhere else, then relays bytes both ways.
///
/// `fault` makes it misbehave the ways a real proxy does; it can be changed while the proxy runs.
///
/// ```swift
/// let proxy = try ConnectProxy(hosts: ["api.wechatpay.test": "127.0.0.1"])
/// defer { proxy.stop() }
/// // api.proxy_url = proxy.url, api.base_url = "https://api.wechatpay.test:\(simulator.port)"
/// ```
package final class ConnectProxy: Sendable {
    /// How the proxy fails on purpose.
    package enum Fault: Sendable, Equatable {
        /// Relays faithfully.
        case none
        /// Answers every CONNECT with `407 Proxy Authentication Required` unless it carries
        /// `Proxy-Authorization: Basic` with exactly these credentials.
        case requireCredentials(user: String, password: String)
        /// Reads the CONNECT and closes the connection without answering: a proxy that dies while opening the tunnel.
        case closeBeforeAnswering
        /// Opens the tunnel, relays `bytes` bytes from the client and closes both sides when it sends more: a
        /// proxy that dies mid-exchange (0: as soon as the client sends anything through the tunnel).
        case closeTunnels(afterClientBytes: Int)
    }

    /// What the proxy has seen, for tests to assert on.
    package struct Statistics: Sendable, Equatable {
        /// CONNECT requests read, whatever became of them.
        package var connects = 0
        /// Tunnels opened to a target (answered 200).
        package var tunnels = 0
        /// CONNECTs answered 407.
        package var authenticationsRefused = 0
        /// Tunnels the proxy closed because of `.closeTunnels`, and CONNECTs closed by `.closeBeforeAnswering`.
        package var tunnelsCut = 0
        /// CONNECTs answered 502: a name not in the map, or a target that refused.
        package var badGateways = 0
        /// Each CONNECT's `host:port`, in order.
        package var targets: [String] = []
    }

    /// The proxy's port on 127.0.0.1.
    package let port: UInt16
    private let core: ConnectProxyCore

    /// Binds 127.0.0.1 on an ephemeral port and starts serving.
    ///
    /// - Parameters:
    ///   - hosts: host name → IPv4 loopback literal; other names get 502, address literals are used as they are.
    ///   - refusesConnections: bind the port but never listen, so every connection is refused (ECONNREFUSED):
    ///     a proxy that is down.
    package init(
        hosts: [String: String] = [:], fault: Fault = .none, refusesConnections: Bool = false
    ) throws {
        let (descriptor, port) = try ProxySocket.bind(listening: !refusesConnections)
        self.port = port
        self.core = ConnectProxyCore(listener: descriptor, hosts: hosts, fault: fault, listening: !refusesConnections)
        if !refusesConnections { core.start() }
    }

    deinit {
        core.stop()
    }

    /// `http://127.0.0.1:PORT`, for `api.proxy_url`; with credentials when given.
    package func url(user: String? = nil, password: String? = nil) -> String {
        guard let user else { return "http://127.0.0.1:\(port)" }
        return "http://\(user):\(password ?? "")@127.0.0.1:\(port)"
    }

    /// The fault in force for connections that arrive from now on.
    package var fault: Fault {
        get { core.state.withLock { $0.fault } }
        set { core.state.withLock { $0.fault = newValue } }
    }

    package var statistics: Statistics { core.state.withLock { $0.statistics } }

    /// Closes the listener and every tunnel, and waits (at most 5 s) for their threads. Idempotent.
    package func stop() {
        core.stop()
    }
}

/// The state the accept thread and the tunnel threads share.
struct ConnectProxyState {
    var fault: ConnectProxy.Fault
    var statistics = ConnectProxy.Statistics()
    var stopped = false
    /// Descriptors of client and target sockets in use; `stop()` shuts each down to wake its thread.
    var openSockets: Set<Int32> = []
}

/// The part of the proxy its threads hold, so dropping the `ConnectProxy` stops them.
final class ConnectProxyCore: Sendable {
    let listener: Int32
    let hosts: [String: String]
    let state: Locked<ConnectProxyState>
    /// Whether an accept thread owns the listener (and closes it); otherwise `stop()` does.
    private let listening: Bool
    private let threads = DispatchGroup()

    init(listener: Int32, hosts: [String: String], fault: ConnectProxy.Fault, listening: Bool) {
        self.listener = listener
        self.hosts = hosts
        self.state = Locked(ConnectProxyState(fault: fault))
        self.listening = listening
    }

    func start() {
        spawn { [self] in acceptLoop() }
    }

    func stop() {
        let first = state.withLock { state in
            defer { state.stopped = true }
            // Inside the lock: a tunnel thread forgets its descriptors under it before closing them.
            for socket in state.openSockets { _ = shutdown(socket, Int32(SHUT_RDWR)) }
            return !state.stopped
        }
        guard first else { return }
        if listening {
            _ = shutdown(listener, Int32(SHUT_RDWR))
        } else {
            _ = close(listener)
        }
        _ = threads.wait(timeout: .now() + .seconds(5))
    }

    /// Registers a descriptor; false (and the caller closes it) once the proxy is stopping.
    func track(_ descriptor: Int32) -> Bool {
        state.withLock { state in
            guard !state.stopped else { return false }
            state.openSockets.insert(descriptor)
            return true
        }
    }

    func closeTracked(_ descriptor: Int32) {
        state.withLock { _ = $0.openSockets.remove(descriptor) }
        _ = close(descriptor)
    }

    private func acceptLoop() {
        // Closed by this thread, after its last poll: closed from `stop()`, the number could be reused by another
        // socket of the process while this thread still polls it.
        defer { _ = close(listener) }
        while !state.withLock({ $0.stopped }) {
            var request = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&request, 1, 250) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            guard track(client) else {
                _ = close(client)
                continue
            }
            spawn { [self] in
                ProxyTunnel(core: self, client: client).run()
                closeTracked(client)
            }
        }
    }

    private func spawn(_ body: @escaping @Sendable () -> Void) {
        threads.enter()
        Thread { [threads] in
            defer { threads.leave() }
            body()
        }.start()
    }
}
