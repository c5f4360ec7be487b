import Foundation
import ImageGenerationTasks
import ProductCoupons
import WatcherConfig
import WatcherCrypto
import WatcherEngine
import WatcherLog
import WatcherSQLite
import WatcherStore
import WatcherSystemd
import WeChatPay

/// The program's version, sent in the User-Agent and recorded in the process row.
package let wechatpayWatcherVersion = "0.1.0"

/// Turning a configuration file into the objects the daemon runs with. Each step reports what is wrong in
/// words an operator can act on, and as a ``CLIError`` whose exit status says whose fault it is.
enum Setup {
    /// The resource kinds this build watches.
    static let kinds: [any ResourceKind] = [ImageGenerationTaskKind(), ProductCouponKind()]

    /// `wechatpay-watcher/0.1.0 (Swift; Linux)`.
    static let userAgent = "wechatpay-watcher/\(wechatpayWatcherVersion) (Swift; Linux)"

    /// Loads and validates the configuration file.
    static func configuration(_ path: String) throws(CLIError) -> LoadedConfiguration {
        do {
            return try ConfigurationLoader.load(path: path)
        } catch {
            throw .configuration(error.description)
        }
    }

    /// Loads every merchant's keys; reports every bad key file at once.
    static func credentials(_ configuration: WatcherConfiguration) throws(CLIError) -> [MerchantCredentials] {
        var credentials: [MerchantCredentials] = []
        var problems: [String] = []
        for merchant in configuration.merchants {
            do {
                credentials.append(try self.credentials(merchant, database: configuration.database))
            } catch {
                problems.append("merchant \(merchant.merchantID): \(error)")
            }
        }
        guard problems.isEmpty else {
            throw .configuration("cannot load merchant keys:\n  - " + problems.joined(separator: "\n  - "))
        }
        return credentials
    }

    /// One merchant's keys: the private key, and the public key, the APIv3 key, or both, as configured.
    private static func credentials(_ merchant: MerchantSettings, database: String) throws(KeyLoadError)
        -> MerchantCredentials
    {
        let privateKey = try KeyFile.loadPrivateKey(path: merchant.privateKeyFile)
        var publicKey: (id: String, key: RSAPublicKey)?
        if let id = merchant.wechatpayPublicKeyID, let file = merchant.wechatpayPublicKeyFile {
            publicKey = (id, try KeyFile.loadPublicKey(path: file))
        }
        let platformCertificates = try merchant.apiv3KeyFile.map { file throws(KeyLoadError) in
            PlatformCertificateSettings(
                apiv3Key: try KeyFile.loadAPIv3Key(path: file), apiv3KeyFile: file,
                cacheFile: PlatformCertificateSettings.cacheFile(database: database, merchantID: merchant.merchantID))
        }
        return MerchantCredentials(
            merchantID: merchant.merchantID, certificateSerial: merchant.certificateSerial, privateKey: privateKey,
            wechatpayPublicKey: publicKey, platformCertificates: platformCertificates)
    }

    /// One client for one merchant, as every command that talks to WeChat Pay makes it.
    static func client(
        _ configuration: WatcherConfiguration, credentials: MerchantCredentials, transport: any HTTPTransport,
        logger: Logger
    ) -> WeChatPayClient {
        WeChatPayClient(
            credentials: credentials,
            hosts: APIHosts(primary: configuration.api.baseURL, backup: configuration.api.backupBaseURL),
            transport: transport,
            requestTimeout: .milliseconds(Int64(configuration.api.requestTimeoutSeconds * 1000)),
            userAgent: userAgent,
            logger: logger
        )
    }

    /// Makes every merchant in platform-certificate or migration mode hold certificates before the first poll:
    /// from the cache, or downloaded. A wrong APIv3 key, a merchant without certificates or a damaged answer stops
    /// the start with the reason; an unreachable API only warns, since the first answers will retry the download.
    static func preparePlatformCertificates(_ clients: [WeChatPayClient], logger: Logger) async throws(CLIError) {
        var problems: [String] = []
        for client in clients {
            guard let error = await client.preparePlatformCertificates() else {
                if let held = client.platformCertificates {
                    logger.info(
                        "certificates.ready",
                        [
                            "merchant": .string(client.merchantID),
                            "serials": .string(held.serials.joined(separator: ",")),
                        ])
                }
                continue
            }
            switch error {
            case .transport, .errorAnswer:
                logger.warning(
                    "certificates.unavailable",
                    ["merchant": .string(client.merchantID), "error": .string(error.description)])
            case _ where !error.stopsStart(publicKeyConfigured: client.verifiesWithPublicKey):
                logger.warning(
                    "certificates.unavailable",
                    [
                        "merchant": .string(client.merchantID), "error": .string(error.description),
                        "hint": .string(
                            "answers signed with the WeChat Pay public key verify; remove apiv3_key_file once "
                                + "no answer names a platform certificate"),
                    ])
            default:
                logger.error(
                    "certificates.unusable",
                    ["merchant": .string(client.merchantID), "error": .string(error.description)])
                problems.append("merchant \(client.merchantID): \(error)")
            }
        }
        guard problems.isEmpty else {
            throw .configuration("platform certificates unusable:\n  - " + problems.joined(separator: "\n  - "))
        }
    }

    /// Opens the log destination the configuration names.
    static func logOutput(_ configuration: WatcherConfiguration) throws(CLIError) -> LogOutput {
        do {
            return try LogOutput(
                destination: configuration.logFile.map { .file(path: $0) } ?? .standardError,
                format: configuration.logFormat,
                level: configuration.logLevel
            )
        } catch {
            let problem = configuration.logFile.flatMap {
                readOnlyViewProblem(($0 as NSString).deletingLastPathComponent)
            }
            throw .configuration(error.description + (problem.map { " (\($0))" } ?? ""))
        }
    }

    /// Opens the database for a command that only reads it (`status`, `wait`): it must exist and have its tables.
    static func readOnlyDatabase(_ path: String) throws(CLIError) -> SQLiteConnection {
        let missing = "(run `wechatpay-watcher migrate` or start the daemon)"
        guard FileManager.default.fileExists(atPath: path) else {
            throw .runtime("database \(path) does not exist yet \(missing)")
        }
        do {
            let connection = try SQLiteConnection(path: path, mode: .readOnly)
            connection.setBusyTimeout(milliseconds: 5_000)
            guard try Migrator.userVersion(connection) > 0 else {
                connection.close()
                throw CLIError.runtime("database \(path) has no tables yet \(missing)")
            }
            return connection
        } catch let error as CLIError {
            throw error
        } catch {
            throw .runtime("cannot read database \(path): \(error)")
        }
    }

    /// Opens and migrates the database.
    static func store(_ path: String) throws(CLIError) -> WatchStore {
        // SQLite opens a file it may not write read-only, without a word: the first answer would fail instead.
        if FileManager.default.fileExists(atPath: path), access(path, W_OK) != 0 {
            throw .runtime(
                "cannot open database \(path): the file is not writable: \(String(cString: strerror(errno)))")
        }
        do {
            return try WatchStore(path: path, kinds: kinds.map(\.schema))
        } catch {
            let cause = storageProblem(path).map { " (\($0))" } ?? ""
            throw .runtime("cannot open database \(path): \(error)\(cause)")
        }
    }

    /// Why the database at `path` cannot be written, when its folder says so: a read-only file system, or a folder
    /// this user may not write (SQLite creates the `-wal` and `-shm` files next to the database). Nil otherwise.
    static func storageProblem(_ path: String) -> String? {
        let folder = (path as NSString).deletingLastPathComponent
        if let problem = readOnlyViewProblem(folder) { return problem }
        var info = statvfs()
        if statvfs(folder, &info) == 0, info.f_flag & UInt(ST_RDONLY) != 0 {
            return "the file system holding \(folder) is mounted read-only"
        }
        if access(folder, W_OK) != 0 {
            return "the folder \(folder) is not writable by this user (\(String(cString: strerror(errno)))); "
                + "SQLite creates the -wal and -shm files next to the database"
        }
        return nil
    }

    /// Why `folder` is read-only when a read-only bind mount covers it and its file system is writable: under
    /// systemd the unit's `ProtectSystem=strict`, which `check-config` run from a shell does not see. Nil when the
    /// folder is writable or read-only for another reason.
    static func readOnlyViewProblem(_ folder: String) -> String? {
        guard access(folder, W_OK) != 0, errno == EROFS, ReadOnlyView.covers(folder) else { return nil }
        return "\(folder) is read-only for this process, though its file system is writable: under systemd the "
            + "unit (ProtectSystem=strict) lets the daemon write only its own folders, /var/lib/wechatpay-watcher and "
            + "/var/log/wechatpay-watcher; use those, or allow this one in a drop-in "
            + "(`systemctl edit wechatpay-watcher`: [Service] ReadWritePaths=\(folder))"
    }

    /// The engine's settings from the file's `polling` section.
    static func engineSettings(_ configuration: WatcherConfiguration) -> EngineSettings {
        let polling = configuration.polling
        return EngineSettings(
            polling: PollingTuning(
                minimumInterval: polling.minimumIntervalSeconds,
                deadline: polling.deadlineHours * 3600,
                notFoundGrace: polling.notFoundGraceSeconds
            ),
            safetyMargin: polling.safetyMarginMilliseconds / 1000,
            writeRetry: polling.writeRetrySeconds
        )
    }

    /// The one transport of the process, from the `api` section; without `api.proxy_url`, `HTTPS_PROXY` (or
    /// `https_proxy`) and `NO_PROXY` (or `no_proxy`) from the environment. Logs which proxy is used.
    static func transport(
        _ configuration: WatcherConfiguration,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger
    ) throws(CLIError) -> SocketTransport {
        let api = configuration.api
        let proxies = try proxyRoutes(api, environment: environment)
        let settings = SocketTransport.Settings(
            caFile: api.caFile, proxies: proxies,
            idleConnectionTimeout: .milliseconds(Int64(api.idleConnectionSeconds * 1000)))
        let transport: SocketTransport
        do {
            transport = try SocketTransport(settings: settings, logger: logger)
        } catch {
            throw .configuration(error.description)
        }
        logger.info(
            "transport.ready",
            [
                "proxy": .string(proxies.summary), "ca_file": .string(api.caFile ?? "system trust store"),
                "idle_connection_seconds": .double(api.idleConnectionSeconds),
            ]
        )
        return transport
    }

    static func proxyRoutes(_ api: APISettings, environment: [String: String]) throws(CLIError) -> ProxyRoutes {
        if let proxy = api.proxyURL { return ProxyRoutes(fixed: httpProxy(proxy)) }
        let name = ["HTTPS_PROXY", "https_proxy"].first { !(environment[$0] ?? "").isEmpty }
        guard let name, var text = environment[name] else { return .direct }
        // Environment proxies are often written without a scheme; a proxy is always reached over plain http.
        if !text.contains("://") { text = "http://" + text }
        switch ProxyURL.parse(text) {
        case .success(let proxy):
            let exceptions = environment["NO_PROXY"] ?? environment["no_proxy"] ?? ""
            return ProxyRoutes(https: httpProxy(proxy), exceptions: ProxyRoutes.exceptions(fromNoProxy: exceptions))
        case .failure(let problem):
            throw .configuration("the environment variable \(name): \(problem)")
        }
    }

    private static func httpProxy(_ proxy: ProxyURL) -> HTTPProxy {
        HTTPProxy(host: proxy.host, port: proxy.port, username: proxy.username, password: proxy.password)
    }

    /// One client per merchant, all sharing one transport and so its connections.
    static func endpoints(
        _ configuration: WatcherConfiguration,
        credentials: [MerchantCredentials],
        transport: any HTTPTransport,
        logger: Logger
    ) -> [MerchantEndpoint] {
        let rates = Dictionary(
            configuration.merchants.map { ($0.merchantID, $0.requestsPerSecond) },
            uniquingKeysWith: { first, _ in first })
        return credentials.map { credentials in
            MerchantEndpoint(
                client: client(configuration, credentials: credentials, transport: transport, logger: logger),
                requestsPerSecond: rates[credentials.merchantID] ?? 20
            )
        }
    }

    /// The scheduler named on the command line (benchmarks compare them); the default is the production one.
    static func scheduler(named name: String?, minimumInterval: Double = 1) throws(CLIError) -> any PollScheduler {
        switch name {
        case nil, "budget":
            var settings = BudgetScheduler.Settings()
            settings.minimumInterval = minimumInterval
            return BudgetScheduler(settings: settings)
        case "exponential": return ExponentialScheduler()
        case "sweep": return SweepScheduler(minimumInterval: minimumInterval)
        case "fixed-30s": return FixedIntervalScheduler(interval: 30)
        case let other?:
            throw .usage("unknown scheduler \(other.debugDescription); known: budget, sweep, exponential, fixed-30s")
        }
    }

    /// This machine's name.
    static var hostname: String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
