/// What the accept thread, the connection threads and the public API share, kept behind one `Locked`.
///
/// Mutating methods decide and return what to do; `ServerCore` performs it.
struct ServerState {
    /// Where the server is in its one-way life.
    enum Phase {
        /// Listening, but `start()` has not been called: connections wait in the backlog.
        case bound
        case accepting
        case stopped
    }

    /// What `stop()` must do with the listening socket.
    enum ListenerAction {
        /// Nobody else uses it: close it now.
        case close
        /// The accept thread owns it: wake that thread, which closes the socket on its way out.
        case wakeAcceptThread
        case nothing
    }

    private(set) var phase = Phase.bound
    /// Descriptors of connections being served; `stop()` shuts each one down.
    private(set) var openSockets: Set<Int32> = []
    private(set) var connectionsAccepted = 0
    private(set) var requestsHandled = 0
    private(set) var handshakesCompleted = 0
    private(set) var handshakesFailed = 0
    private(set) var lastHandshakeFailure: String? = nil

    var isStopping: Bool { phase == .stopped }

    /// True the first time only, and never after `stop()`.
    mutating func beginAccepting() -> Bool {
        guard phase == .bound else { return false }
        phase = .accepting
        return true
    }

    /// Registers an accepted connection; false once stopping, and the caller closes it unserved.
    mutating func admit(_ descriptor: Int32) -> Bool {
        guard phase == .accepting else { return false }
        openSockets.insert(descriptor)
        connectionsAccepted += 1
        return true
    }

    /// Forgets a connection; called before its descriptor is closed, never after.
    mutating func release(_ descriptor: Int32) {
        openSockets.remove(descriptor)
    }

    mutating func recordRequest() {
        requestsHandled += 1
    }

    mutating func recordHandshake() {
        handshakesCompleted += 1
    }

    mutating func recordHandshakeFailure(_ reason: String) {
        handshakesFailed += 1
        lastHandshakeFailure = reason
    }

    /// Moves to `.stopped`; returns what to do with the listener and which connections to shut down.
    mutating func stop() -> (listener: ListenerAction, sockets: Set<Int32>) {
        let previous = phase
        phase = .stopped
        switch previous {
        case .bound: return (.close, [])
        case .accepting: return (.wakeAcceptThread, openSockets)
        case .stopped: return (.nothing, [])
        }
    }
}
