import Dispatch
import Foundation
import Glibc
import WatcherPOSIX
import WatcherSync

/// The part of the server its threads share: the listening socket, the handler and the state.
///
/// The threads hold this object rather than `HTTPServer`, so dropping the last reference to the server runs its
/// `deinit`, which stops them.
final class ServerCore: Sendable {
    let listener: Int32
    let port: UInt16
    let idleTimeout: Duration
    /// Nil for plain HTTP.
    let tls: TLSContext?
    let handler: @Sendable (HTTPServerRequest) -> HTTPServerResponse
    let state = Locked(ServerState())
    /// Entered before each thread starts and left when it ends, so `stop()` can wait for all of them.
    private let threads = DispatchGroup()

    /// How long `stop()` waits for threads; a handler stuck in its own code must not hang the test run.
    private static let stopTimeout = DispatchTimeInterval.seconds(5)
    /// After a response that ends the conversation, how long to keep reading what the client still sends.
    private static let drainTimeout = Duration.seconds(1)
    /// How long a reset waits for the bytes before it to leave, since the reset discards what is still queued.
    private static let flushTimeout = Duration.milliseconds(500)

    init(
        listener: Int32, port: UInt16, idleTimeout: Duration, tls: TLSContext?,
        handler: @escaping @Sendable (HTTPServerRequest) -> HTTPServerResponse
    ) {
        self.listener = listener
        self.port = port
        self.idleTimeout = idleTimeout
        self.tls = tls
        self.handler = handler
    }

    var isStopping: Bool {
        state.withLock { $0.isStopping }
    }

    func start() {
        guard state.withLock({ $0.beginAccepting() }) else { return }
        spawnThread(named: "http-accept:\(port)") { [self] in acceptConnections() }
    }

    func stop() {
        let listenerAction = state.withLock { state in
            let (listenerAction, sockets) = state.stop()
            // Inside the lock on purpose: a connection thread releases its descriptor under this lock before
            // closing it, so each number here is still that connection and not one the process has reused.
            for socket in sockets { _ = shutdown(socket, Int32(SHUT_RDWR)) }
            if listenerAction == .wakeAcceptThread { _ = shutdown(listener, Int32(SHUT_RDWR)) }
            return listenerAction
        }
        if listenerAction == .close { _ = close(listener) }
        _ = threads.wait(timeout: .now() + Self.stopTimeout)
    }

    func recordRequest() {
        state.withLock { $0.recordRequest() }
    }

    /// Sleeps for `duration` in short slices; false as soon as the server is stopping.
    func pause(for duration: Duration) -> Bool {
        let deadline = ContinuousClock.now + duration
        while !isStopping {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return true }
            Thread.sleep(forTimeInterval: min(remaining, .milliseconds(20)).seconds)
        }
        return false
    }

    private func acceptConnections() {
        // The accept thread owns the listener once started; closing it here, after the loop, means no other
        // thread can close a number this thread is still polling.
        defer { _ = close(listener) }
        while !isStopping {
            var request = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            // shutdown(2) from stop() wakes the poll at once; the timeout only bounds a missed wake-up.
            guard poll(&request, 1, 250) > 0 else { continue }
            let descriptor = accept(listener, nil, nil)
            guard descriptor >= 0 else {
                // EMFILE and the like: give closing connections a moment rather than spin.
                if ![EINTR, EAGAIN, ECONNABORTED].contains(errno) { usleep(10_000) }
                continue
            }
            // accept4(2) is not visible to Swift; a child spawned between these two calls would inherit the socket.
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            serve(descriptor)
        }
    }

    private func serve(_ descriptor: Int32) {
        guard state.withLock({ $0.admit(descriptor) }) else {
            _ = close(descriptor)
            return
        }
        spawnThread(named: "http-connection:\(port)") { [self] in
            var socket = ConnectedSocket(descriptor: descriptor)
            if let tls {
                do throws(TLSFailure) {
                    socket.tls = try TLSSession(context: tls, descriptor: descriptor)
                    try socket.tls?.accept(timeout: idleTimeout)
                    state.withLock { $0.recordHandshake() }
                } catch {
                    // A refused or unfinished handshake never reaches the handler; counted for tests to assert.
                    state.withLock { $0.recordHandshakeFailure(error.reason) }
                    finish(socket, .close)
                    return
                }
            }
            var connection = Connection(core: self, socket: socket)
            finish(socket, connection.run())
        }
    }

    private func finish(_ socket: ConnectedSocket, _ ending: ConnectionEnding) {
        switch ending {
        case .close:
            break
        case .closeAfterDraining:
            socket.shutdownWriting()
            socket.drain(timeout: Self.drainTimeout)
        case .reset:
            socket.waitUntilSent(timeout: Self.flushTimeout)
            socket.armReset()
        }
        state.withLock { $0.release(socket.descriptor) }
        socket.close()
    }

    /// One thread per connection with blocking I/O: connection counts are an HTTP client pool's, and a blocked
    /// thread is the simplest faithful model of a slow or hung server.
    private func spawnThread(named name: String, _ body: @escaping @Sendable () -> Void) {
        threads.enter()
        let thread = Thread { [threads] in
            defer { threads.leave() }
            body()
        }
        thread.name = name
        thread.start()
    }
}
