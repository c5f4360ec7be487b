import Testing
import WatcherConfig

/// API URLs are origins: https, or http only to this machine; nothing after the host and port.
@Suite struct URLTests {
    @Test func httpToARemoteHostIsRefused() {
        #expect(
            Fixture.problems(Fixture.file(baseURL: "http://api.mch.weixin.qq.com")) == [
                #"api.base_url: "http://api.mch.weixin.qq.com" uses http with a host that is not loopback; "#
                    + "http is allowed only for 127.0.0.0/8, ::1 and localhost, use https"
            ]
        )
    }

    @Test(arguments: [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.1.2.3/", "http://127.1.2.3"),
        ("http://localhost:9000/", "http://localhost:9000"),
        ("http://[::1]:8443", "http://[::1]:8443"),
        ("https://api.mch.weixin.qq.com/", "https://api.mch.weixin.qq.com"),
    ])
    func loopbackHTTPAndAnyHTTPSAreAcceptedWithoutTrailingSlash(url: String, stored: String) throws {
        #expect(try Fixture.load(Fixture.file(baseURL: url)).configuration.api.baseURL == stored)
    }

    @Test(arguments: [
        (
            "https://api.mch.weixin.qq.com/?debug=1",
            #""https://api.mch.weixin.qq.com/?debug=1" must not have a query ("?…")"#
        ),
        (
            "https://api.mch.weixin.qq.com#top",
            ##""https://api.mch.weixin.qq.com#top" must not have a fragment ("#…")"##
        ),
        (
            "https://user:secret@api.mch.weixin.qq.com",
            #""https://user:secret@api.mch.weixin.qq.com" must not contain user info ("user@"); "#
                + "WeChat Pay requests are signed instead"
        ),
        (
            "https://api.mch.weixin.qq.com/v3",
            #""https://api.mch.weixin.qq.com/v3" must not have a path (found "/v3"); API paths are added to it"#
        ),
        (
            "ftp://api.mch.weixin.qq.com",
            #""ftp://api.mch.weixin.qq.com" has the scheme "ftp"; expected https (or http to a loopback host)"#
        ),
        (
            "api.mch.weixin.qq.com",
            #""api.mch.weixin.qq.com" is not a URL with a scheme and a host, such as "https://api.mch.weixin.qq.com""#
        ),
        (
            "https://api.mch.weixin.qq.com:70000",
            #""https://api.mch.weixin.qq.com:70000" has port 70000, outside 1 to 65535"#
        ),
        (
            "http://128.0.0.1",
            #""http://128.0.0.1" uses http with a host that is not loopback; "#
                + "http is allowed only for 127.0.0.0/8, ::1 and localhost, use https"
        ),
    ])
    func badURLsSayWhichRuleTheyBreak(url: String, problem: String) {
        #expect(Fixture.problems(Fixture.file(baseURL: url)) == ["api.base_url: " + problem])
    }

    @Test func backupURLFollowsTheSameRules() {
        let text = Fixture.file([
            "api": #"{"base_url": "https://api.mch.weixin.qq.com", "backup_base_url": "http://api2.mch.weixin.qq.com"}"#
        ])
        #expect(
            Fixture.problems(text) == [
                #"api.backup_base_url: "http://api2.mch.weixin.qq.com" uses http with a host that is not loopback; "#
                    + "http is allowed only for 127.0.0.0/8, ::1 and localhost, use https"
            ]
        )
    }
}
