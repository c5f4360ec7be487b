import Foundation
import WatcherConfig

/// Configuration files for tests: a valid minimal file, with keys replaced, added (`"key": "json"`) or removed
/// (`"key": nil`). Values are JSON text, so tests show exactly what an operator would write.
enum Fixture {
    static let configFile = "/etc/wechatpay-watcher/config.json"

    static func merchant(_ changes: [String: String?] = [:]) -> String {
        object(
            [
                ("mchid", #""1900000001""#),
                ("certificate_serial", #""1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C""#),
                ("private_key_file", #""/etc/wechatpay-watcher/apiclient_key.pem""#),
                ("wechatpay_public_key_id", #""PUB_KEY_ID_0119000000012024111200000000000001""#),
                ("wechatpay_public_key_file", #""/etc/wechatpay-watcher/pub_key.pem""#),
            ],
            changes
        )
    }

    static func file(_ changes: [String: String?] = [:], merchants: [String] = [merchant()]) -> String {
        object(
            [
                ("database", #""/var/lib/wechatpay-watcher/watcher.sqlite3""#),
                ("api", #"{"base_url": "https://api.mch.weixin.qq.com"}"#),
                ("merchants", "[" + merchants.joined(separator: ", ") + "]"),
            ],
            changes
        )
    }

    /// The minimal file with `api.base_url` set to `url`.
    static func file(baseURL url: String) -> String {
        file(["api": #"{"base_url": \#(url.debugDescription)}"#])
    }

    static func load(_ text: String) throws(ConfigError) -> LoadedConfiguration {
        try ConfigurationLoader.parse(Array(text.utf8), configFile: configFile)
    }

    /// The problems loading `text` reports; empty when it loads.
    static func problems(_ text: String) -> [String] {
        do {
            _ = try load(text)
            return []
        } catch {
            return error.problems
        }
    }

    private static func object(_ base: [(String, String)], _ changes: [String: String?]) -> String {
        var members = base.map { (key: $0.0, value: changes[$0.0] ?? $0.1) }
        members += changes.keys.sorted().filter { key in !base.contains { $0.0 == key } }
            .map { (key: $0, value: changes[$0] ?? nil) }
        let text = members.compactMap { member in member.value.map { "\(member.key.debugDescription): \($0)" } }
        return "{" + text.joined(separator: ", ") + "}"
    }
}

/// A folder under the system's temporary directory, removed by `remove()`.
struct TemporaryFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("config-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func write(_ text: String, to name: String) throws -> String {
        let file = path + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
