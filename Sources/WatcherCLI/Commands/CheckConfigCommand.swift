import Foundation
import WatcherConfig
import WatcherLog
import WatcherSQLite
import WatcherStore
import WeChatPay

/// `check-config --config FILE`: load and validate everything, say what is wrong, exit.
enum CheckConfigCommand: Command {
    static let name = "check-config"
    static let summary = "Validate the configuration: file, keys, database, log file and URLs."
    static let usage = "check-config --config FILE"
    static let options: [Arguments.Option] = [
        .init(name: "config", takesValue: true, help: "the configuration file (JSON)", valueName: "FILE")
    ]

    static func run(_ arguments: Arguments) async throws(CLIError) -> Int32 {
        let loaded = try Setup.configuration(try arguments.required("config"))
        let configuration = loaded.configuration
        var problems: [String] = []
        var warnings = loaded.warnings
        do {
            let credentials = try Setup.credentials(configuration)
            let (certificateProblems, certificateWarnings) = await checkAPIv3Keys(configuration, credentials)
            problems += certificateProblems
            warnings += certificateWarnings
        } catch {
            problems.append(error.description)
        }
        if let problem = databaseProblem(configuration.database) { problems.append(problem) }
        if let logFile = configuration.logFile, let problem = writableFileProblem(logFile, what: "log file") {
            problems.append(problem)
        }
        if let metricsFile = configuration.metricsFile,
            let problem = isFolder(metricsFile)
                ? "metrics file \(metricsFile) is a folder"
                : writableDirectoryProblem(
                    (metricsFile as NSString).deletingLastPathComponent, what: "metrics file folder")
        {
            problems.append(problem)
        }
        for warning in warnings { Output.error("warning: \(warning)") }
        guard problems.isEmpty else {
            throw .configuration(
                "\(configuration.configFile) is not usable:\n  - " + problems.joined(separator: "\n  - "))
        }
        Output.line(
            "\(configuration.configFile): OK (\(configuration.merchants.count) merchant(s), database \(configuration.database), "
                + "API \(configuration.api.baseURL)" + (configuration.api.backupBaseURL.map { ", backup \($0)" } ?? "")
                + ")"
        )
        return 0
    }

    /// An APIv3 key of the right length may still be the wrong one: only decrypting a certificate tells. The
    /// cached answer is tried first; without one, the certificates are downloaded (and cached).
    private static func checkAPIv3Keys(_ configuration: WatcherConfiguration, _ credentials: [MerchantCredentials])
        async -> (problems: [String], warnings: [String])
    {
        var problems: [String] = []
        var warnings: [String] = []
        let transport: SocketTransport
        do {
            transport = try Setup.transport(configuration, logger: Logger(sink: InMemoryLogSink()))
        } catch {
            return (["\(error)"], [])
        }
        for merchant in credentials where merchant.platformCertificates != nil {
            let client = Setup.client(
                configuration, credentials: merchant, transport: transport, logger: Logger(sink: InMemoryLogSink()))
            switch await client.preparePlatformCertificates() {
            case nil: continue
            case .transport(let failure)?:
                warnings.append(
                    "merchant \(merchant.merchantID): cannot reach WeChat Pay to check the APIv3 key (\(failure))")
            case .errorAnswer(let status, let code, let message, let requestID)?:
                let error = PlatformCertificateError.errorAnswer(
                    status: status, code: code, message: message, requestID: requestID)
                warnings.append("merchant \(merchant.merchantID): cannot check the APIv3 key: \(error)")
            case let error? where !error.stopsStart(publicKeyConfigured: merchant.wechatpayPublicKey != nil):
                warnings.append(
                    "merchant \(merchant.merchantID): \(error); answers signed with the WeChat Pay public key verify")
            case let error?:
                problems.append("merchant \(merchant.merchantID): \(error)")
            }
        }
        return (problems, warnings)
    }

    /// The database must open for writing (creating it if absent, in a writable folder) and be SQLite.
    private static func databaseProblem(_ path: String) -> String? {
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists {
            return writableDirectoryProblem((path as NSString).deletingLastPathComponent, what: "database folder")
        }
        if let problem = Setup.storageProblem(path) { return "database \(path) cannot be written: \(problem)" }
        do {
            let connection = try SQLiteConnection(path: path, mode: .readWrite(create: false))
            defer { connection.close() }
            let version = try Migrator.userVersion(connection)
            _ = try connection.scalar("SELECT count(*) FROM sqlite_schema")
            if version > Schema.currentVersion {
                return
                    "database \(path) has schema version \(version), newer than this program (\(Schema.currentVersion))"
            }
            if access(path, W_OK) != 0 {
                return "database \(path) is not writable: \(String(cString: strerror(errno)))"
            }
            return nil
        } catch {
            return "database \(path): \(error)"
        }
    }

    private static func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    private static func writableFileProblem(_ path: String, what: String) -> String? {
        if isFolder(path) { return "\(what) \(path) is a folder" }
        if FileManager.default.fileExists(atPath: path) {
            guard access(path, W_OK) != 0 else { return nil }
            let reason = String(cString: strerror(errno))
            let folder = (path as NSString).deletingLastPathComponent
            return "\(what) " + (Setup.readOnlyViewProblem(folder) ?? "\(path) is not writable: \(reason)")
        }
        return writableDirectoryProblem((path as NSString).deletingLastPathComponent, what: "\(what) folder")
    }

    private static func writableDirectoryProblem(_ directory: String, what: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            return "\(what) \(directory) does not exist"
        }
        guard access(directory, W_OK) != 0 else { return nil }
        let reason = String(cString: strerror(errno))
        return "\(what) " + (Setup.readOnlyViewProblem(directory) ?? "\(directory) is not writable: \(reason)")
    }
}
