import Foundation
import Testing
import WatcherLog
import WatcherTestSupport

@testable import WeChatPay

@Suite("SocketTransport through a CONNECT proxy")
struct ProxyTests {
    func transport(_ proxy: HTTPProxy) throws -> SocketTransport {
        try SocketTransport(
            settings: SocketTransport.Settings(
                proxies: ProxyRoutes(fixed: proxy), idleConnectionTimeout: .seconds(120)),
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
        switch failure {
        case .proxy(let reason), .proxyRefused(let reason): reason
        default: nil
        }
    }

    @Test("a request to a name only the proxy can resolve goes through the tunnel, with Basic credentials")
    func tunnel() async throws {
        let server = ScriptedServer { peer in
            while peer.readRequest() != nil { peer.write(okAnswer("through")) }
        }
        let proxy = try ConnectProxy(
            hosts: ["api.behind-proxy.test": "127.0.0.1"], fault: .requireCredentials(user: "user", password: "p@ss"))
        defer {
            server.stop()
            proxy.stop()
        }
        let transport = try transport(
            HTTPProxy(host: "127.0.0.1", port: Int(proxy.port), username: "user", password: "p@ss"))
        for _ in 0..<2 {
            let response = try await transport.send(
                HTTPRequest(method: "GET", url: "http://api.behind-proxy.test:\(server.port)/v3/x", headers: []),
                timeout: .seconds(60), maxBodyBytes: 1024)
            #expect(response.body == Array("through".utf8))
        }
        #expect(server.requests.first?.contains("Host: api.behind-proxy.test:\(server.port)\r\n") == true)
        #expect(proxy.statistics.targets == ["api.behind-proxy.test:\(server.port)"])
        #expect(proxy.statistics.tunnels == 1)
    }

    @Test("a proxy that refuses connections is a named, connection-level proxy failure")
    func refused() async throws {
        let proxy = try ConnectProxy(refusesConnections: true)
        defer { proxy.stop() }
        let failure = await failure(
            try transport(HTTPProxy(host: "127.0.0.1", port: Int(proxy.port))), "http://api.test:1/")
        let reason = try #require(proxyReason(failure))
        #expect(reason.contains("proxy 127.0.0.1:\(proxy.port)"))
        #expect(reason.lowercased().contains("refused"))
        #expect(failure?.isConnectionLevel == true)
        #expect(failure?.kind == "proxy")
    }

    @Test("a 407 says the proxy wants credentials; a refusal by the proxy is not a host problem: no failover")
    func authenticationRequired() async throws {
        let proxy = try ConnectProxy(
            hosts: ["api.test": "127.0.0.1"], fault: .requireCredentials(user: "user", password: "x"))
        defer { proxy.stop() }
        let failure = await failure(
            try transport(HTTPProxy(host: "127.0.0.1", port: Int(proxy.port))), "http://api.test:1/")
        let reason = try #require(proxyReason(failure))
        #expect(reason.contains("407"))
        #expect(reason.contains("api.proxy_url"))
        guard case .proxyRefused = failure else {
            Issue.record("expected proxyRefused, got \(String(describing: failure))")
            return
        }
        #expect(failure?.isConnectionLevel == false)
        #expect(failure?.kind == "proxy")
        #expect(proxy.statistics.authenticationsRefused == 1)
    }

    @Test("a refusal with a body, as real proxies send, is still named by its status", arguments: [407, 403])
    func refusalWithBody(status: Int) async throws {
        let page = "<html><body>access denied by policy</body></html>"
        let proxy = ScriptedServer { peer in
            _ = peer.readRequest()
            peer.write(
                "HTTP/1.1 \(status) Denied\r\nProxy-Authenticate: Basic realm=\"corp\"\r\nContent-Type: text/html\r\n"
                    + "Content-Length: \(page.utf8.count)\r\n\r\n\(page)")
        }
        defer { proxy.stop() }
        let failure = await failure(try transport(HTTPProxy(host: "127.0.0.1", port: proxy.port)), "http://api.test:1/")
        let reason = try #require(proxyReason(failure))
        #expect(
            status == 407 ? reason.contains("407") && reason.contains("api.proxy_url") : reason.contains("status 403"))
        #expect(failure?.isConnectionLevel == false)
    }

    @Test(
        "a 502 to CONNECT (the proxy cannot reach the host) is named with the status and is connection-level, so the backup host is tried"
    )
    func badGateway() async throws {
        let proxy = try ConnectProxy(hosts: [:])
        defer { proxy.stop() }
        let failure = await failure(
            try transport(HTTPProxy(host: "127.0.0.1", port: Int(proxy.port))), "http://api.unknown.test:1/")
        #expect(try #require(proxyReason(failure)).contains("status 502"))
        #expect(failure?.isConnectionLevel == true)
    }

    @Test(
        "a host selector does not move traffic to the backup host for a refusal by the proxy; it does when unreachable")
    func refusalKeepsThePrimary() {
        let selector = HostSelector(hosts: APIHosts(primary: "https://primary", backup: "https://backup"))
        #expect(
            selector.recordFailure(of: "https://primary", failure: .proxyRefused(reason: "407"), now: 0) == nil)
        #expect(!selector.isOnBackup)
        guard
            case .switchedToBackup = selector.recordFailure(
                of: "https://primary", failure: .proxy(reason: "cannot connect to proxy"), now: 0)
        else {
            Issue.record("an unreachable proxy did not move traffic")
            return
        }
    }

    @Test("a proxy that never answers the CONNECT times out saying so, not as a slow WeChat Pay would")
    func muteProxy() async throws {
        let proxy = ScriptedServer { peer in
            _ = peer.readRequest()
            peer.stayMute()
        }
        defer { proxy.stop() }
        let transport = try transport(HTTPProxy(host: "127.0.0.1", port: proxy.port))
        let failure: TransportFailure?
        do {
            _ = try await transport.send(
                HTTPRequest(method: "GET", url: "https://api.test:443/", headers: []), timeout: .milliseconds(300),
                maxBodyBytes: 1024)
            failure = nil
        } catch {
            failure = error
        }
        #expect(failure?.kind == "timeout")
        #expect(
            failure?.reason == "during the CONNECT to api.test:443 through the proxy http://127.0.0.1:\(proxy.port)")
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
        let server = ScriptedServer { peer in
            while peer.readRequest() != nil { peer.write(okAnswer("never")) }
        }
        let proxy = try ConnectProxy(hosts: ["api.test": "127.0.0.1"], fault: .closeTunnels(afterClientBytes: 0))
        defer {
            server.stop()
            proxy.stop()
        }
        let failure = await failure(
            try transport(HTTPProxy(host: "127.0.0.1", port: Int(proxy.port))), "http://api.test:\(server.port)/")
        #expect(failure?.isConnectionLevel == true)
        #expect(server.requests.isEmpty)
        #expect(proxy.statistics.tunnelsCut == 1)
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

    @Test("a NO_PROXY address covers only that address or its block, never by a name suffix")
    func noProxyAddresses() {
        let proxy = HTTPProxy(host: "proxy.corp", port: 3128)
        func route(_ noProxy: String, _ host: String, _ port: Int = 443) -> HTTPProxy? {
            ProxyRoutes(https: proxy, exceptions: ProxyRoutes.exceptions(fromNoProxy: noProxy))
                .proxy(scheme: "https", host: host, port: port)
        }
        #expect(route("0.1", "127.0.0.1") == proxy)
        #expect(route(".0.0.1", "127.0.0.1") == proxy)
        #expect(route("127.0.0.1", "127.0.0.1") == nil)
        #expect(route("127.0.0.1", "127.0.0.10") == proxy)
        #expect(route("127.0.0.1:8443", "127.0.0.1", 8443) == nil)
        #expect(route("127.0.0.1:8443", "127.0.0.1") == proxy)
        #expect(route("127.0.0.0/8", "127.1.2.3") == nil)
        #expect(route("10.0.0.0/8", "127.0.0.1") == proxy)
        #expect(route("10.0.0.0/8", "10.200.0.1") == nil)
        #expect(route("192.168.4.0/22", "192.168.7.255") == nil)
        #expect(route("192.168.4.0/22", "192.168.8.0") == proxy)
        #expect(route("fd00::/8", "fd12::1") == nil)
        #expect(route("fd00::/8", "fe80::1") == proxy)
        #expect(route("10.0.0.0/8", "10.example.com") == proxy)
    }

    @Test("a NO_PROXY IPv6 entry may be bracketed, with or without a port; *.name is a suffix like .name")
    func noProxyBracketsAndStar() {
        let proxy = HTTPProxy(host: "proxy.corp", port: 3128)
        func route(_ noProxy: String, _ host: String, _ port: Int = 443) -> HTTPProxy? {
            ProxyRoutes(https: proxy, exceptions: ProxyRoutes.exceptions(fromNoProxy: noProxy))
                .proxy(scheme: "https", host: host, port: port)
        }
        #expect(route("[::1]", "::1") == nil)
        #expect(route("::1", "::1") == nil)
        #expect(route("[::1]", "0:0:0:0:0:0:0:1") == nil)
        #expect(route("[::1]:8443", "::1", 8443) == nil)
        #expect(route("[::1]:8443", "::1") == proxy)
        #expect(route("[::1]", "::2") == proxy)
        #expect(route("*.example.com", "api.example.com") == nil)
        #expect(route("*.example.com", "example.com") == nil)
        #expect(route("*.example.com", "badexample.com") == proxy)
        #expect(route(" *.example.com:8443 ", "api.example.com", 8443) == nil)
    }

    @Test("the start-up summary names the proxy and never the password")
    func summary() {
        let routes = ProxyRoutes(fixed: HTTPProxy(host: "proxy.corp", port: 3128, username: "me", password: "secret"))
        #expect(routes.summary == "http://me@proxy.corp:3128 (api.proxy_url)")
        #expect(ProxyRoutes.direct.summary == "none")
    }
}
