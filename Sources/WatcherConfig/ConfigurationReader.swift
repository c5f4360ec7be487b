import Foundation
import WatcherLog

/// Reads a parsed configuration file section by section, reporting every problem to ``Diagnostics``.
struct ConfigurationReader {
    static let topLevelKeys = [
        "database", "log_file", "log_level", "log_format", "metrics_file", "api", "polling", "merchants",
        "retention",
    ]
    static let apiKeys = [
        "base_url", "backup_base_url", "request_timeout_seconds", "ca_file", "proxy_url", "idle_connection_seconds",
    ]
    static let pollingKeys = [
        "minimum_interval_seconds", "deadline_hours", "not_found_grace_seconds", "safety_margin_milliseconds",
        "write_retry_seconds",
    ]
    static let retentionKeys = ["final_row_days", "transition_days"]
    static let merchantKeys = [
        "mchid", "certificate_serial", "private_key_file", "wechatpay_public_key_id", "wechatpay_public_key_file",
        "apiv3_key_file", "requests_per_second",
    ]

    /// `api.request_timeout_seconds` when absent.
    static let defaultRequestTimeoutSeconds = 10.0

    /// `api.idle_connection_seconds` when absent: below the 8 s after which WeChat Pay closes an idle connection.
    static let defaultIdleConnectionSeconds = 5.0
    static let serverIdleSeconds = 8.0

    /// WeChat Pay's documented per-merchant rate limit, and the default; more is allowed with a warning.
    static let documentedRequestsPerSecond = 20

    let configFile: String
    let diagnostics: Diagnostics
    private var directory: String { PathRules.directory(of: configFile) }

    /// The configuration, which is only meaningful when `diagnostics` holds no problems.
    func read(_ root: JSONValue) -> WatcherConfiguration? {
        guard let file = ObjectReader(root, at: .root, keys: Self.topLevelKeys, diagnostics: diagnostics) else {
            return nil
        }
        return WatcherConfiguration(
            configFile: configFile,
            database: path(file, "database", required: true) ?? "",
            logFile: logFile(file),
            logLevel: choice(file, "log_level", of: LogLevel.self) ?? .info,
            logFormat: choice(file, "log_format", of: LogFormat.self) ?? .text,
            metricsFile: path(file, "metrics_file", nullable: true),
            api: api(file),
            polling: polling(file),
            merchants: merchants(file),
            retention: retention(file)
        )
    }

    /// `"-"`, like `null`, means standard error, as it does for many Unix tools.
    private func logFile(_ file: ObjectReader) -> String? {
        file.value("log_file") == .string("-") ? nil : path(file, "log_file", nullable: true)
    }

    private func api(_ file: ObjectReader) -> APISettings {
        guard file.value("api", required: true) != nil, let api = file.object("api", keys: Self.apiKeys) else {
            return APISettings(
                baseURL: "", backupBaseURL: nil, requestTimeoutSeconds: Self.defaultRequestTimeoutSeconds,
                idleConnectionSeconds: Self.defaultIdleConnectionSeconds)
        }
        return APISettings(
            baseURL: url(api, "base_url", required: true) ?? "",
            backupBaseURL: url(api, "backup_base_url", nullable: true),
            // Below a tenth of a second not even a TLS handshake completes: every poll would time out.
            requestTimeoutSeconds: api.number("request_timeout_seconds", in: NumberRange(minimum: 0.1, maximum: 300))
                ?? Self.defaultRequestTimeoutSeconds,
            caFile: caFile(api),
            proxyURL: proxyURL(api),
            idleConnectionSeconds: idleConnectionSeconds(api)
        )
    }

    /// Must be readable now: a missing CA file found at the first request would look like a TLS failure.
    private func caFile(_ api: ObjectReader) -> String? {
        guard let file = path(api, "ca_file", nullable: true) else { return nil }
        guard access(file, R_OK) == 0 else {
            api.problem("ca_file", "cannot read the CA file \(file): \(String(cString: strerror(errno)))")
            return nil
        }
        return file
    }

    private func proxyURL(_ api: ObjectReader) -> ProxyURL? {
        guard let text = api.string("proxy_url", nullable: true) else { return nil }
        switch ProxyURL.parse(text) {
        case .success(let proxy): return proxy
        case .failure(let problem):
            api.problem("proxy_url", problem.description)
            return nil
        }
    }

    private func idleConnectionSeconds(_ api: ObjectReader) -> Double {
        guard
            let seconds = api.number(
                "idle_connection_seconds", in: NumberRange(minimum: 0, minimumIsExclusive: true, maximum: 3600))
        else { return Self.defaultIdleConnectionSeconds }
        guard seconds < Self.serverIdleSeconds else {
            api.problem(
                "idle_connection_seconds",
                "\(JSONValue.format(seconds)) is too long: WeChat Pay closes idle connections after 8 s, and a request "
                    + "sent on one it is closing is lost; use less than 8 (default 5)")
            return Self.defaultIdleConnectionSeconds
        }
        return seconds
    }

    private func polling(_ file: ObjectReader) -> PollingSettings {
        let defaults = PollingSettings.defaults
        guard let polling = file.object("polling", keys: Self.pollingKeys) else { return defaults }
        return PollingSettings(
            minimumIntervalSeconds: polling.number(
                "minimum_interval_seconds", in: NumberRange(minimum: 0.05, maximum: 3600))
                ?? defaults.minimumIntervalSeconds,
            // At least 36 s: a shorter deadline expires rows before their first answers.
            deadlineHours: polling.number("deadline_hours", in: NumberRange(minimum: 0.01, maximum: 8760))
                ?? defaults.deadlineHours,
            notFoundGraceSeconds: polling.number(
                "not_found_grace_seconds", in: NumberRange(minimum: 0, maximum: 86_400))
                ?? defaults.notFoundGraceSeconds,
            safetyMarginMilliseconds: polling.number(
                "safety_margin_milliseconds", in: NumberRange(minimum: 0, maximum: 500))
                ?? defaults.safetyMarginMilliseconds,
            writeRetrySeconds: polling.number("write_retry_seconds", in: NumberRange(minimum: 1, maximum: 86_400))
                ?? defaults.writeRetrySeconds
        )
    }

    /// Whole days up to a century: longer is "forever", which is 0.
    private func retention(_ file: ObjectReader) -> RetentionSettings {
        let defaults = RetentionSettings.defaults
        guard let retention = file.object("retention", keys: Self.retentionKeys) else { return defaults }
        let days = NumberRange(minimum: 0, maximum: 36_500, integer: true)
        return RetentionSettings(
            finalRowDays: retention.number("final_row_days", in: days).map { Int($0) } ?? defaults.finalRowDays,
            transitionDays: retention.number("transition_days", in: days).map { Int($0) } ?? defaults.transitionDays
        )
    }

    private func merchants(_ file: ObjectReader) -> [MerchantSettings] {
        guard let elements = file.array("merchants", required: true) else { return [] }
        if elements.isEmpty { file.problem("merchants", "the list is empty; configure at least one merchant") }
        var merchants: [MerchantSettings] = []
        var firstIndex: [String: Int] = [:]
        for (index, element) in elements.enumerated() {
            let path = file.path.appending("merchants").appending(index: index)
            guard let reader = ObjectReader(element, at: path, keys: Self.merchantKeys, diagnostics: diagnostics) else {
                continue
            }
            let merchant = merchant(reader)
            if let first = firstIndex[merchant.merchantID] {
                reader.problem(
                    "mchid",
                    "\(merchant.merchantID.debugDescription) is also merchants[\(first)].mchid; list each merchant once"
                )
            } else if !merchant.merchantID.isEmpty {  // "" stands for an mchid already reported as invalid
                firstIndex[merchant.merchantID] = index
            }
            merchants.append(merchant)
        }
        return merchants
    }

    private func merchant(_ merchant: ObjectReader) -> MerchantSettings {
        let merchantID = identifier(merchant, "mchid", rule: IdentifierRules.mchidProblem)
        let publicKeyID = identifier(
            merchant, "wechatpay_public_key_id", required: false, rule: IdentifierRules.publicKeyIDProblem)
        let publicKeyFile = path(merchant, "wechatpay_public_key_file", nullable: true)
        let apiv3KeyFile = path(merchant, "apiv3_key_file", nullable: true)
        verificationMode(merchant)
        if let publicKeyID, let warning = IdentifierRules.publicKeyIDWarning(publicKeyID) {
            merchant.warning("wechatpay_public_key_id", warning)
        }
        let rate = merchant.number("requests_per_second", in: NumberRange(minimum: 1, maximum: 1000, integer: true))
            .map { Int($0) }
        if let rate, rate > Self.documentedRequestsPerSecond {
            merchant.warning(
                "requests_per_second",
                "is \(rate), above WeChat Pay's documented limit of \(Self.documentedRequestsPerSecond) requests per "
                    + "second per merchant; WeChat Pay may refuse requests with rate-limit errors"
            )
        }
        return MerchantSettings(
            merchantID: merchantID ?? "",
            certificateSerial: identifier(
                merchant, "certificate_serial", rule: IdentifierRules.certificateSerialProblem)
                ?? "",
            privateKeyFile: path(merchant, "private_key_file", required: true) ?? "",
            wechatpayPublicKeyID: publicKeyID,
            wechatpayPublicKeyFile: publicKeyFile,
            requestsPerSecond: rate ?? Self.documentedRequestsPerSecond,
            apiv3KeyFile: apiv3KeyFile
        )
    }

    /// The keys that verify answers decide the mode: the public key id and file together (public-key mode),
    /// `apiv3_key_file` alone (platform-certificate mode), or all three (the migration). Anything else is a problem.
    private func verificationMode(_ merchant: ObjectReader) {
        let given = { (key: String) in merchant.value(key, nullable: true) != nil }
        let (publicKeyID, publicKeyFile) = (given("wechatpay_public_key_id"), given("wechatpay_public_key_file"))
        if publicKeyID != publicKeyFile {
            let (present, absent) =
                publicKeyID
                ? ("wechatpay_public_key_id", "wechatpay_public_key_file")
                : ("wechatpay_public_key_file", "wechatpay_public_key_id")
            merchant.problem(
                absent, "is missing but \(present) is given; the public key needs both its id and its file")
        } else if !publicKeyID, !given("apiv3_key_file") {
            merchant.problem(
                "wechatpay_public_key_id",
                "is missing: configure wechatpay_public_key_id and wechatpay_public_key_file (WeChat Pay public key), "
                    + "apiv3_key_file (platform certificates), or all three (during the migration)")
        }
    }

    /// A required string that must pass `rule`; `nil` after a problem, so that duplicates are not checked on it.
    private func identifier(
        _ object: ObjectReader, _ key: String, required: Bool = true, rule: (String) -> String?
    ) -> String? {
        guard let value = object.string(key, required: required, nullable: !required) else { return nil }
        if let problem = rule(value) {
            object.problem(key, problem)
            return nil
        }
        return value
    }

    private func path(_ object: ObjectReader, _ key: String, required: Bool = false, nullable: Bool = false) -> String?
    {
        guard let value = object.string(key, required: required, nullable: nullable) else { return nil }
        if let problem = PathRules.problem(value) {
            object.problem(key, problem)
            return nil
        }
        return PathRules.absolute(value, relativeTo: directory)
    }

    private func url(_ object: ObjectReader, _ key: String, required: Bool = false, nullable: Bool = false) -> String? {
        guard let value = object.string(key, required: required, nullable: nullable) else { return nil }
        switch URLRules.validated(value) {
        case .success(let url): return url
        case .failure(let problem):
            object.problem(key, problem.text)
            return nil
        }
    }

    private func choice<Choice: RawRepresentable & CaseIterable>(
        _ object: ObjectReader,
        _ key: String,
        of type: Choice.Type
    ) -> Choice? where Choice.RawValue == String {
        guard let value = object.string(key) else { return nil }
        if let choice = Choice(rawValue: value) { return choice }
        let names = Choice.allCases.map(\.rawValue)
        object.problem(
            key,
            "\(JSONValue.quoted(value)) is not one of \(names.joined(separator: ", "))"
                + KeySuggestion.hint(for: value, among: names)
        )
        return nil
    }
}
