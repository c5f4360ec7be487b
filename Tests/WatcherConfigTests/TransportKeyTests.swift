import Foundation
import Testing
import WatcherConfig

/// `api.ca_file`, `api.proxy_url` and `api.idle_connection_seconds`: how the client reaches WeChat Pay.
@Suite struct TransportKeyTests {
    func api(_ members: String) -> String {
        Fixture.file(["api": #"{"base_url": "https://api.mch.weixin.qq.com", \#(members)}"#])
    }

    @Test func defaultsAreTheSystemStoreNoProxyAndFiveSecondsIdle() throws {
        let settings = try Fixture.load(Fixture.file()).configuration.api
        #expect(settings.caFile == nil)
        #expect(settings.proxyURL == nil)
        #expect(settings.idleConnectionSeconds == 5)
    }

    @Test func aReadableCAFileIsKeptAsAnAbsolutePath() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("ca.pem").path
        try "-----BEGIN CERTIFICATE-----\n".write(toFile: file, atomically: true, encoding: .utf8)
        let settings = try Fixture.load(api(#""ca_file": \#(file.debugDescription)"#)).configuration.api
        #expect(settings.caFile == file)
    }

    @Test func aMissingCAFileIsAProblemNamingThePath() {
        #expect(
            Fixture.problems(api(#""ca_file": "/nonexistent/ca.pem""#)) == [
                "api.ca_file: cannot read the CA file /nonexistent/ca.pem: No such file or directory"
            ])
    }

    @Test func aProxyURLIsParsedWithPercentDecodedCredentials() throws {
        let settings = try Fixture.load(api(#""proxy_url": "http://svc%40corp:p%3Ass@proxy.corp:3128""#))
            .configuration.api
        let proxy = try #require(settings.proxyURL)
        #expect(proxy.host == "proxy.corp")
        #expect(proxy.port == 3128)
        #expect(proxy.username == "svc@corp")
        #expect(proxy.password == "p:ss")
        #expect(proxy.redacted == "http://svc%40corp:***@proxy.corp:3128")
    }

    @Test func aProxyURLWithoutAPortUsesPort80() throws {
        for (url, host) in [
            ("http://proxy.corp", "proxy.corp"), ("http://u:p@127.0.0.1/", "127.0.0.1"), ("http://[::1]", "::1"),
        ] {
            let proxy = try #require(
                try Fixture.load(api(#""proxy_url": \#(url.debugDescription)"#)).configuration.api.proxyURL)
            #expect(proxy.host == host)
            #expect(proxy.port == 80)
        }
        #expect(try ProxyURL.parse("http://127.0.0.1").get().port == 80)
    }

    @Test(arguments: [
        ("https://proxy.corp:3128", "uses https"),
        ("proxy.corp:3128", "expected http://[user:password@]host[:port]"),
        ("http://proxy.corp:", "has no port from 1 to 65535"),
        ("http://[::1]x", "is not a proxy URL"),
        ("http://proxy.corp:3128/path", "must not have a path"),
        ("http://user:secret@proxy.corp:0", "no port from 1 to 65535"),
    ])
    func aMalformedProxyURLSaysTheExpectedFormAndHidesThePassword(url: String, says: String) throws {
        let problems = Fixture.problems(api(#""proxy_url": \#(url.debugDescription)"#))
        let problem = try #require(problems.first)
        #expect(problem.hasPrefix("api.proxy_url: "))
        #expect(problem.contains(says))
        #expect(!problem.contains("secret"))
    }

    @Test func idleConnectionsMustCloseBeforeWeChatPayClosesThem() throws {
        #expect(
            try Fixture.load(api(#""idle_connection_seconds": 0.5"#)).configuration.api.idleConnectionSeconds == 0.5)
        let problem = try #require(Fixture.problems(api(#""idle_connection_seconds": 8"#)).first)
        #expect(problem.hasPrefix("api.idle_connection_seconds: 8 is too long"))
        #expect(problem.contains("WeChat Pay closes idle connections after 8 s"))
        #expect(Fixture.problems(api(#""idle_connection_seconds": 0"#)).first?.contains("out of range") == true)
    }

    @Test func unknownAPIKeysStayErrors() {
        #expect(
            Fixture.problems(api(#""proxy": "http://p:1""#)).first?.contains(#"unknown key "proxy" in api"#) == true)
    }
}
