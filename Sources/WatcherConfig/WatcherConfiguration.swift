import WatcherLog

/// Everything the daemon reads from its configuration file, validated and with defaults filled in.
///
/// Paths are absolute and normalized: relative paths in the file are resolved against the file's folder.
package struct WatcherConfiguration: Sendable, Equatable {
    /// The absolute path of the file this configuration was loaded from.
    package var configFile: String
    /// The SQLite database holding the work queue (`database`).
    package var database: String
    /// The log file (`log_file`); `nil` means standard error.
    package var logFile: String?
    /// The least important log level written (`log_level`).
    package var logLevel: LogLevel
    /// How log records are written (`log_format`).
    package var logFormat: LogFormat
    /// Where metrics are written (`metrics_file`); `nil` means nowhere.
    package var metricsFile: String?
    /// Where and how the WeChat Pay API is reached (`api`).
    package var api: APISettings
    /// How often and for how long resources are polled (`polling`).
    package var polling: PollingSettings
    /// The merchants polled on behalf of, in file order; never empty after loading.
    package var merchants: [MerchantSettings]
    /// How long final rows and their history are kept (`retention`).
    package var retention: RetentionSettings

    /// A configuration from its parts, for example to write a simulator's configuration with
    /// ``ConfigurationLoader/encode(_:)``.
    package init(
        configFile: String,
        database: String,
        logFile: String?,
        logLevel: LogLevel,
        logFormat: LogFormat,
        metricsFile: String?,
        api: APISettings,
        polling: PollingSettings,
        merchants: [MerchantSettings],
        retention: RetentionSettings = .defaults
    ) {
        self.configFile = configFile
        self.database = database
        self.logFile = logFile
        self.logLevel = logLevel
        self.logFormat = logFormat
        self.metricsFile = metricsFile
        self.api = api
        self.polling = polling
        self.merchants = merchants
        self.retention = retention
    }
}

/// The WeChat Pay API endpoints (`api`).
package struct APISettings: Sendable, Equatable {
    /// The primary endpoint, such as `https://api.mch.weixin.qq.com`, without a trailing slash.
    package var baseURL: String
    /// The endpoint to fail over to, without a trailing slash; `nil` means no failover.
    package var backupBaseURL: String?
    /// How long one request may take before it is abandoned, in seconds: name resolution, connection, TLS
    /// handshake, request and answer together.
    package var requestTimeoutSeconds: Double
    /// A PEM file of certificate authorities trusted instead of the system store (`api.ca_file`), absolute.
    package var caFile: String?
    /// The HTTP proxy every request is tunnelled through (`api.proxy_url`); nil to use `HTTPS_PROXY`, if set.
    package var proxyURL: ProxyURL?
    /// How long a kept-alive connection may stay idle before it is closed, in seconds; below WeChat Pay's 8.
    package var idleConnectionSeconds: Double

    /// Settings from their parts.
    package init(
        baseURL: String, backupBaseURL: String?, requestTimeoutSeconds: Double, caFile: String? = nil,
        proxyURL: ProxyURL? = nil, idleConnectionSeconds: Double = 5
    ) {
        self.baseURL = baseURL
        self.backupBaseURL = backupBaseURL
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.caFile = caFile
        self.proxyURL = proxyURL
        self.idleConnectionSeconds = idleConnectionSeconds
    }
}

/// The timing of polls (`polling`).
package struct PollingSettings: Sendable, Equatable {
    /// The shortest wait between two polls of one resource, in seconds.
    package var minimumIntervalSeconds: Double
    /// How long a resource is polled before it is given up, in hours.
    package var deadlineHours: Double
    /// How long a newly created resource may answer "not found" before that is believed, in seconds.
    package var notFoundGraceSeconds: Double
    /// Slack kept below each merchant's rate limit, in milliseconds per request.
    package var safetyMarginMilliseconds: Double
    /// How long failing database writes (disk full, read-only file system) are retried, answers kept in memory,
    /// before the daemon exits 1 for systemd to restart it, in seconds. A producer's lock is waited for without
    /// limit.
    package var writeRetrySeconds: Double

    /// The values used when the file has no `polling` section or leaves a key out.
    package static let defaults = PollingSettings(
        minimumIntervalSeconds: 1,
        deadlineHours: 24,
        notFoundGraceSeconds: 120,
        safetyMarginMilliseconds: 2,
        writeRetrySeconds: 120
    )

    /// Settings from their parts.
    package init(
        minimumIntervalSeconds: Double,
        deadlineHours: Double,
        notFoundGraceSeconds: Double,
        safetyMarginMilliseconds: Double,
        writeRetrySeconds: Double = 120
    ) {
        self.minimumIntervalSeconds = minimumIntervalSeconds
        self.deadlineHours = deadlineHours
        self.notFoundGraceSeconds = notFoundGraceSeconds
        self.safetyMarginMilliseconds = safetyMarginMilliseconds
        self.writeRetrySeconds = writeRetrySeconds
    }
}

/// One merchant the daemon polls for (an element of `merchants`). Key files are named, not read.
package struct MerchantSettings: Sendable, Equatable {
    /// The merchant number, 1 to 32 digits.
    package var merchantID: String
    /// The serial number of the merchant's API certificate, hexadecimal, as written in the file.
    package var certificateSerial: String
    /// The merchant's API private key (`apiclient_key.pem`), an absolute path.
    package var privateKeyFile: String
    /// The ID of the WeChat Pay public key that signs answers, normally `PUB_KEY_ID_…`; nil in
    /// platform-certificate mode.
    package var wechatpayPublicKeyID: String?
    /// The WeChat Pay public key file, an absolute path; nil in platform-certificate mode.
    package var wechatpayPublicKeyFile: String?
    /// The file holding the 32-character APIv3 key that decrypts platform certificates, an absolute path; nil in
    /// public-key mode. With the public key as well, the merchant is migrating and either kind of serial verifies.
    package var apiv3KeyFile: String?
    /// The most requests per second sent for this merchant, 1 to 1000.
    package var requestsPerSecond: Int

    /// Settings from their parts.
    package init(
        merchantID: String,
        certificateSerial: String,
        privateKeyFile: String,
        wechatpayPublicKeyID: String?,
        wechatpayPublicKeyFile: String?,
        requestsPerSecond: Int,
        apiv3KeyFile: String? = nil
    ) {
        self.apiv3KeyFile = apiv3KeyFile
        self.merchantID = merchantID
        self.certificateSerial = certificateSerial
        self.privateKeyFile = privateKeyFile
        self.wechatpayPublicKeyID = wechatpayPublicKeyID
        self.wechatpayPublicKeyFile = wechatpayPublicKeyFile
        self.requestsPerSecond = requestsPerSecond
    }
}

/// A configuration that passed validation, with the things worth telling the operator about.
package struct LoadedConfiguration: Sendable, Equatable {
    /// The validated configuration.
    package var configuration: WatcherConfiguration
    /// Values that are accepted but probably not what the operator wants, one sentence each.
    package var warnings: [String]

    /// A loaded configuration from its parts.
    package init(configuration: WatcherConfiguration, warnings: [String]) {
        self.configuration = configuration
        self.warnings = warnings
    }
}
