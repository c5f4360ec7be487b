import Foundation
import Glibc
import Testing
import WatcherLog
import WatcherTestSupport

@testable import WeChatPay

/// A minimal CONNECT proxy on loopback: it knows host names the client cannot resolve.
enum TestProxy {
    /// Tunnels `CONNECT name:port` to 127.0.0.1:port when `name` is in `names`; answers 502 otherwise.
    static func tunnelling(names: Set<String>, requireAuthorization: String? = nil) -> ScriptedServer {
        ScriptedServer { peer in
            guard let head = peer.readRequest(), let line = head.split(separator: "\r\n").first else { return }
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[0] == "CONNECT", let colon = parts[1].lastIndex(of: ":"),
                let port = Int(parts[1][parts[1].index(after: colon)...])
            else {
                peer.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                return
            }
            if let requireAuthorization, !head.contains("Proxy-Authorization: \(requireAuthorization)\r\n") {
                peer.write("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
                return
            }
            guard names.contains(String(parts[1][..<colon])), let upstream = connectLoopback(port: port) else {
                peer.write("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            }
            defer { _ = close(upstream) }
            peer.write("HTTP/1.1 200 Connection Established\r\n\r\n")
            relay(peer.descriptor, upstream)
        }
    }

    private static func connectLoopback(port: Int) -> Int32? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else {
            _ = close(descriptor)
            return nil
        }
        return descriptor
    }

    /// Copies bytes both ways until either side closes.
    private static func relay(_ first: Int32, _ second: Int32) {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            var descriptors = [
                pollfd(fd: first, events: Int16(POLLIN), revents: 0),
                pollfd(fd: second, events: Int16(POLLIN), revents: 0),
            ]
            guard poll(&descriptors, 2, 5000) > 0 else { return }
            for (from, to) in [(0, 1), (1, 0)] where descriptors[from].revents != 0 {
                let count = recv(descriptors[from].fd, &buffer, buffer.count, 0)
                guard count > 0 else { return }
                _ = send(descriptors[to].fd, buffer, count, Int32(MSG_NOSIGNAL))
            }
        }
    }
}

@Suite("SocketTransport through a CONNECT proxy")
struct ProxyTests {
    func transport(_ proxy: HTTPProxy) throws -> SocketTransport {
        try SocketTransport(
            settings: SocketTransport.Settings(proxies: ProxyRoutes(fixed: proxy)),
            logger: Logger(sink: InMemoryLogSink()))
    }

    func failure(_ transport: SocketTransport, _ url: String) async -> TransportFailure? {
        do {
            _ = try await transport.send(
                HTTPRequest(method: "GET", url: url, headers: []), timeout: .seconds(60), maxBodyBytes: 1024)
            return nil
        } catch {
            return error
        }
    }

    func proxyReason(_ failure: TransportFailure?) -> String? {
        guard case .proxy(let reason) = failure else { return nil }
        return reason
    }

    @Test("a request to a name only the proxy can resolve goes through the tunnel, with Basic credentials")
    func tunnel() async throws {
        let server = ScriptedServer { peer in
            while peer.readRequest() != nil { peer.write(okAnswer("through")) }
        }
        let proxy = TestProxy.tunnelling(names: ["api.behind-proxy.test"], requireAuthorization: "Basic dXNlcjpwQHNz")
        defer {
            server.stop()
            proxy.stop()
        }
        let transport = try transport(
            HTTPProxy(host: "127.0.0.1", port: proxy.port, username: "user", password: "p@ss"))
        for _ in 0..<2 {
            let response = try await transport.send(
                HTTPRequest(method: "GET", url: "http://api.behind-proxy.test:\(server.port)/v3/x", headers: []),
                timeout: .seconds(60), maxBodyBytes: 1024)
            #expect(response.body == Array("through".utf8))
        }
        #expect(server.requests.first?.contains("Host: api.behind-proxy.test:\(server.port)\r\n") == true)
        #expect(proxy.requests.first?.hasPrefix("CONNECT api.behind-proxy.test:\(server.port) HTTP/1.1\r\n") == true)
        #expect(proxy.connections == 1)
    }

    @Test("a proxy that refuses connections is a named, connection-level proxy failure")
    func refused() async throws {
        let closed = ScriptedServer { _ in }
        let port = closed.port
        closed.stop()
        let failure = await failure(try transport(HTTPProxy(host: "127.0.0.1", port: port)), "http://api.test:1/")
        let reason = try #require(proxyReason(failure))
        #expect(reason.contains("proxy 127.0.0.1:\(port)"))
        #expect(reason.lowercased().contains("refused"))
        #expect(failure?.isConnectionLevel == true)
        #expect(failure?.kind == "proxy")
    }

    @Test("a 407 says the proxy wants credentials")
    func authenticationRequired() async throws {
        let proxy = TestProxy.tunnelling(names: ["api.test"], requireAuthorization: "Basic x")
        defer { proxy.stop() }
        let failure = await failure(try transport(HTTPProxy(host: "127.0.0.1", port: proxy.port)), "http://api.test:1/")
        let reason = try #require(proxyReason(failure))
        #expect(reason.contains("407"))
        #expect(reason.contains("api.proxy_url"))
        #expect(failure?.isConnectionLevel == true)
    }

    @Test("another status to CONNECT is named with the status")
    func badGateway() async throws {
        let proxy = TestProxy.tunnelling(names: [])
        defer { proxy.stop() }
        let failure = await failure(try transport(HTTPProxy(host: "127.0.0.1", port: proxy.port)), "http://api.test:1/")
        #expect(try #require(proxyReason(failure)).contains("status 502"))
    }

    @Test("a proxy that dies during the tunnel set-up is a named proxy failure")
    func diesDuringTunnel() async throws {
        let proxy = ScriptedServer { peer in _ = peer.readRequest() }
        defer { proxy.stop() }
        let failure = await failure(try transport(HTTPProxy(host: "127.0.0.1", port: proxy.port)), "http://api.test:1/")
        #expect(try #require(proxyReason(failure)).contains("closed the connection during the CONNECT"))
        #expect(failure?.isConnectionLevel == true)
    }

    @Test("a tunnel that dies after it was established loses the request before any answer: connection-level")
    func diesAfterTunnel() async throws {
        let proxy = ScriptedServer { peer in
            guard peer.readRequest() != nil else { return }
            peer.write("HTTP/1.1 200 Connection Established\r\n\r\n")
            _ = peer.readRequest()
        }
        defer { proxy.stop() }
        let failure = await failure(try transport(HTTPProxy(host: "127.0.0.1", port: proxy.port)), "http://api.test:1/")
        #expect(failure?.isConnectionLevel == true)
    }

    @Test("the environment's proxy is skipped for NO_PROXY names: suffix, port, star")
    func noProxy() {
        let proxy = HTTPProxy(host: "proxy.corp", port: 3128)
        let routes = ProxyRoutes(
            https: proxy, exceptions: ProxyRoutes.exceptions(fromNoProxy: " .internal.example, LOCAL.test:8443 ,"))
        #expect(routes.proxy(scheme: "https", host: "api.mch.weixin.qq.com", port: 443) == proxy)
        #expect(routes.proxy(scheme: "https", host: "a.internal.example", port: 443) == nil)
        #expect(routes.proxy(scheme: "https", host: "internal.example", port: 443) == nil)
        #expect(routes.proxy(scheme: "https", host: "notinternal.example", port: 443) == proxy)
        #expect(routes.proxy(scheme: "https", host: "local.test", port: 8443) == nil)
        #expect(routes.proxy(scheme: "https", host: "local.test", port: 443) == proxy)
        #expect(routes.proxy(scheme: "http", host: "api.mch.weixin.qq.com", port: 80) == nil)
        #expect(ProxyRoutes(https: proxy, exceptions: ["*"]).proxy(scheme: "https", host: "x", port: 443) == nil)
        #expect(ProxyRoutes(fixed: proxy, exceptions: ["*"]).proxy(scheme: "https", host: "x", port: 443) == proxy)
    }

    @Test("the start-up summary names the proxy and never the password")
    func summary() {
        let routes = ProxyRoutes(fixed: HTTPProxy(host: "proxy.corp", port: 3128, username: "me", password: "secret"))
        #expect(routes.summary == "http://me@proxy.corp:3128 (api.proxy_url)")
        #expect(ProxyRoutes.direct.summary == "none")
    }
}
