import Foundation
import Glibc
import WatcherSync

/// A TCP server on 127.0.0.1 whose every connection runs a script: the tests say byte by byte what the client
/// meets (keep-alive, a close under a reused connection, silence, a CONNECT proxy).
final class ScriptedServer: Sendable {
    /// The server side of one accepted connection, on its own thread with blocking I/O.
    struct Peer: Sendable {
        let descriptor: Int32
        /// Which connection of the server this is, from 0.
        let index: Int
        let server: ScriptedServer

        /// The next request head and its Content-Length body; nil when the client closed first.
        func readRequest() -> String? {
            var bytes: [UInt8] = []
            while !bytes.ends(with: [13, 10, 13, 10]) {
                guard let byte = readByte() else { return nil }
                bytes.append(byte)
            }
            let head = String(decoding: bytes, as: UTF8.self)
            let length =
                head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            for _ in 0..<length {
                guard let byte = readByte() else { return nil }
                bytes.append(byte)
            }
            let request = String(decoding: bytes, as: UTF8.self)
            server.record(request)
            return request
        }

        /// True when the client closed the connection (reads end of stream) within `timeout`.
        func clientClosed(within timeout: Duration) -> Bool {
            var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard
                poll(
                    &request, 1,
                    Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
                    > 0
            else {
                return false
            }
            var byte: UInt8 = 0
            return recv(descriptor, &byte, 1, 0) <= 0
        }

        func write(_ text: String) {
            write(Array(text.utf8))
        }

        func write(_ bytes: [UInt8]) {
            var sent = 0
            while sent < bytes.count {
                let count = bytes[sent...].withUnsafeBytes {
                    send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                guard count > 0 else { return }
                sent += count
            }
        }

        /// Makes the coming close send a reset (RST) instead of a FIN.
        func armReset() {
            var option = linger(l_onoff: 1, l_linger: 0)
            _ = setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        }

        /// Holds the connection open, saying nothing, until the client closes it or the server stops.
        func stayMute() {
            while !server.isStopping {
                var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                if poll(&request, 1, 50) > 0 {
                    var byte: UInt8 = 0
                    if recv(descriptor, &byte, 1, 0) <= 0 { return }
                }
            }
        }

        private func readByte() -> UInt8? {
            var byte: UInt8 = 0
            while !server.isStopping {
                var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                guard poll(&request, 1, 50) > 0 else { continue }
                return recv(descriptor, &byte, 1, 0) == 1 ? byte : nil
            }
            return nil
        }
    }

    private struct State {
        var requests: [String] = []
        var connections = 0
        var stopping = false
        var open: Set<Int32> = []
    }

    let port: Int
    private let listener: Int32
    private let script: @Sendable (Peer) -> Void
    private let state = Locked(State())
    private let threads = DispatchGroup()

    /// Listens on an ephemeral port and runs `script` for every connection; the connection closes when it returns.
    /// With `listening` false the port is bound but refuses every connection, and stays taken while the server
    /// lives (a stopped server's port could be handed to another test's server).
    init(listening: Bool = true, _ script: @escaping @Sendable (Peer) -> Void) {
        self.script = script
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var enable: Int32 = 1
        _ = setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &enable, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if listening { _ = listen(listener, 64) }
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: bound.sin_port))
        guard listening else { return }
        threads.enter()
        Thread { [self] in
            defer { threads.leave() }
            acceptLoop()
        }.start()
    }

    /// `http://127.0.0.1:PORT`.
    var url: String { "http://127.0.0.1:\(port)" }

    /// Every request read so far, head and body.
    var requests: [String] { state.withLock { $0.requests } }

    /// How many connections were accepted.
    var connections: Int { state.withLock { $0.connections } }

    var isStopping: Bool { state.withLock { $0.stopping } }

    func record(_ request: String) {
        state.withLock { $0.requests.append(request) }
    }

    /// Stops accepting, ends every script and waits for their threads.
    func stop() {
        let open = state.withLock { state in
            state.stopping = true
            return state.open
        }
        for descriptor in open { _ = shutdown(descriptor, Int32(SHUT_RDWR)) }
        _ = shutdown(listener, Int32(SHUT_RDWR))
        _ = threads.wait(timeout: .now() + 5)
        _ = close(listener)
    }

    private func acceptLoop() {
        while !isStopping {
            var request = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&request, 1, 50) > 0, !isStopping else { continue }
            let descriptor = accept(listener, nil, nil)
            guard descriptor >= 0 else { continue }
            let index = state.withLock { state in
                state.open.insert(descriptor)
                state.connections += 1
                return state.connections - 1
            }
            threads.enter()
            Thread { [self] in
                defer { threads.leave() }
                script(Peer(descriptor: descriptor, index: index, server: self))
                state.withLock { _ = $0.open.remove(descriptor) }
                _ = close(descriptor)
            }.start()
        }
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}

/// `HTTP/1.1 200 OK` with a Content-Length body and the given extra header lines.
func okAnswer(_ body: String, headers: [String] = []) -> String {
    let extra = headers.map { $0 + "\r\n" }.joined()
    return "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\(extra)\r\n\(body)"
}
