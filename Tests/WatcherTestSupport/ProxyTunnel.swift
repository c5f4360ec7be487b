import Foundation
import Glibc

/// Why the proxy could not start.
struct ProxySetupError: Error, CustomStringConvertible {
    let description: String
}

/// One client of the proxy, on its own thread: reads the CONNECT, applies the fault, opens the tunnel and relays.
struct ProxyTunnel {
    let core: ConnectProxyCore
    let client: Int32

    /// How long a client may take to send its CONNECT head, and the largest head accepted.
    private static let headTimeout: Int32 = 5_000
    private static let maximumHeadBytes = 16 * 1024

    func run() {
        guard let (head, early) = readHead() else { return }
        let lines = head.components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count == 3, parts[0] == "CONNECT" else {
            answer("405 Method Not Allowed")
            return
        }
        let target = String(parts[1])
        let fault = core.state.withLock { state in
            state.statistics.connects += 1
            state.statistics.targets.append(target)
            return state.fault
        }
        if fault == .closeBeforeAnswering {
            core.state.withLock { $0.statistics.tunnelsCut += 1 }
            return
        }
        if case .requireCredentials(let user, let password) = fault,
            !Self.carriesCredentials(lines.dropFirst(), user: user, password: password)
        {
            core.state.withLock { $0.statistics.authenticationsRefused += 1 }
            answer("407 Proxy Authentication Required", headers: ["Proxy-Authenticate: Basic realm=\"test proxy\""])
            return
        }
        guard let upstream = connectUpstream(target) else {
            core.state.withLock { $0.statistics.badGateways += 1 }
            answer("502 Bad Gateway")
            return
        }
        defer { core.closeTracked(upstream) }
        core.state.withLock { $0.statistics.tunnels += 1 }
        guard send(Array("HTTP/1.1 200 Connection Established\r\n\r\n".utf8), to: client),
            send(early, to: upstream)
        else { return }
        var budget: Int? = nil
        if case .closeTunnels(let bytes) = fault { budget = max(0, bytes - early.count) }
        if relay(upstream: upstream, clientBudget: budget) {
            core.state.withLock { $0.statistics.tunnelsCut += 1 }
        }
    }

    /// The head up to its empty line, and whatever the client sent after it (bytes meant for the target).
    private func readHead() -> (String, [UInt8])? {
        var bytes: [UInt8] = []
        let terminator: [UInt8] = [13, 10, 13, 10]
        while bytes.count < Self.maximumHeadBytes {
            var request = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
            guard poll(&request, 1, Self.headTimeout) > 0 else { return nil }
            var chunk = [UInt8](repeating: 0, count: 4_096)
            let count = recv(client, &chunk, chunk.count, 0)
            guard count > 0 else { return nil }
            bytes += chunk[..<count]
            if let end = Self.firstIndex(of: terminator, in: bytes) {
                return (String(decoding: bytes[..<end], as: UTF8.self), Array(bytes[(end + 4)...]))
            }
        }
        return nil
    }

    private static func firstIndex(of pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        return (0...(bytes.count - pattern.count)).first { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) }
    }

    private static func carriesCredentials(_ lines: ArraySlice<String>, user: String, password: String) -> Bool {
        let expected = Data("\(user):\(password)".utf8).base64EncodedString()
        return lines.contains { line in
            guard let colon = line.firstIndex(of: ":") else { return false }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].split(separator: " ", omittingEmptySubsequences: true)
            // The scheme is case-insensitive, the base64 token is not.
            return name == "proxy-authorization" && value.count == 2 && value[0].lowercased() == "basic"
                && value[1] == expected
        }
    }

    /// A connected socket to the target's address from the map (or the literal itself); nil when unknown or refused.
    private func connectUpstream(_ target: String) -> Int32? {
        guard let colon = target.lastIndex(of: ":"), let port = UInt16(target[target.index(after: colon)...]) else {
            return nil
        }
        let name = String(target[..<colon])
        let address = core.hosts[name] ?? name
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        guard inet_pton(AF_INET, address, &socketAddress.sin_addr) == 1 else { return nil }
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        let connected = withUnsafePointer(to: &socketAddress) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected, core.track(descriptor) else {
            _ = close(descriptor)
            return nil
        }
        return descriptor
    }

    /// Copies bytes both ways until both sides have closed; true when the fault's budget cut the tunnel.
    private func relay(upstream: Int32, clientBudget: Int?) -> Bool {
        var budget = clientBudget
        var open: [(from: Int32, to: Int32)] = [(client, upstream), (upstream, client)]
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while !open.isEmpty {
            var requests = open.map { pollfd(fd: $0.from, events: Int16(POLLIN), revents: 0) }
            guard poll(&requests, nfds_t(requests.count), -1) > 0 || errno == EINTR else { return false }
            for (index, request) in requests.enumerated().reversed() where request.revents != 0 {
                let (from, to) = open[index]
                let count = recv(from, &chunk, chunk.count, 0)
                guard count > 0 else {
                    // One side finished: pass the end of stream on and keep relaying the other direction.
                    _ = shutdown(to, Int32(SHUT_WR))
                    open.remove(at: index)
                    continue
                }
                guard from == client, let remaining = budget else {
                    guard send(Array(chunk[..<count]), to: to) else { return false }
                    continue
                }
                let length = min(count, remaining)
                guard send(Array(chunk[..<length]), to: to) else { return false }
                budget = remaining - length
                if count > remaining { return cut(upstream) }
            }
        }
        return false
    }

    /// Closes both sides at once, the way a proxy process that dies does.
    private func cut(_ upstream: Int32) -> Bool {
        _ = shutdown(client, Int32(SHUT_RDWR))
        _ = shutdown(upstream, Int32(SHUT_RDWR))
        return true
    }

    private func answer(_ status: String, headers: [String] = []) {
        let head = (["HTTP/1.1 \(status)"] + headers + ["Content-Length: 0", "Connection: close"])
            .joined(separator: "\r\n")
        _ = send(Array((head + "\r\n\r\n").utf8), to: client)
    }

    private func send(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard count > 0 else { return false }
            sent += count
        }
        return true
    }
}

/// The proxy's listening socket on 127.0.0.1.
enum ProxySocket {
    /// Binds an ephemeral port; `listening: false` keeps the port reserved but refuses every connection.
    static func bind(listening: Bool) throws -> (descriptor: Int32, port: UInt16) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw ProxySetupError(description: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound, !listening || listen(descriptor, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = close(descriptor)
            throw ProxySetupError(description: "cannot bind the test proxy on 127.0.0.1: \(reason)")
        }
        return (descriptor, UInt16(bigEndian: address.sin_port))
    }
}
