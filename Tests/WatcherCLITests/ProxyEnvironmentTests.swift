import Testing
import WatcherConfig
import WeChatPay

@testable import WatcherCLI

@Suite("The proxy from the environment")
struct ProxyEnvironmentTests {
    let api = APISettings(baseURL: "https://api.mch.weixin.qq.com", backupBaseURL: nil, requestTimeoutSeconds: 10)

    @Test("HTTPS_PROXY without a port uses port 80, and the start-up summary names host:port")
    func defaultPort() throws {
        for value in ["http://127.0.0.1", "127.0.0.1"] {
            let routes = try Setup.proxyRoutes(api, environment: ["HTTPS_PROXY": value])
            #expect(routes.https == HTTPProxy(host: "127.0.0.1", port: 80))
            #expect(routes.summary == "http://127.0.0.1:80 (HTTPS_PROXY)")
        }
        let fixed = try Setup.proxyRoutes(
            APISettings(
                baseURL: api.baseURL, backupBaseURL: nil, requestTimeoutSeconds: 10,
                proxyURL: try ProxyURL.parse("http://proxy.corp").get()),
            environment: [:])
        #expect(fixed.summary == "http://proxy.corp:80 (api.proxy_url)")
    }
}
