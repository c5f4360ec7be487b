import WatcherLog

/// Writes a configuration back as a file ``ConfigurationLoader`` reads, with every key present.
enum ConfigurationEncoder {
    static func encode(_ configuration: WatcherConfiguration) -> String {
        render(document(configuration), indent: "") + "\n"
    }

    private static func document(_ configuration: WatcherConfiguration) -> JSONValue {
        let api = configuration.api
        let polling = configuration.polling
        return .object([
            JSONMember("database", .string(configuration.database)),
            JSONMember("log_file", optional(configuration.logFile)),
            JSONMember("log_level", .string(configuration.logLevel.rawValue)),
            JSONMember("log_format", .string(configuration.logFormat.rawValue)),
            JSONMember("metrics_file", optional(configuration.metricsFile)),
            JSONMember(
                "api",
                .object([
                    JSONMember("base_url", .string(api.baseURL)),
                    JSONMember("backup_base_url", optional(api.backupBaseURL)),
                    JSONMember("request_timeout_seconds", .number(api.requestTimeoutSeconds)),
                    JSONMember("ca_file", optional(api.caFile)),
                    JSONMember("proxy_url", optional(api.proxyURL?.text)),
                    JSONMember("idle_connection_seconds", .number(api.idleConnectionSeconds)),
                ])
            ),
            JSONMember(
                "polling",
                .object([
                    JSONMember("minimum_interval_seconds", .number(polling.minimumIntervalSeconds)),
                    JSONMember("deadline_hours", .number(polling.deadlineHours)),
                    JSONMember("not_found_grace_seconds", .number(polling.notFoundGraceSeconds)),
                    JSONMember("safety_margin_milliseconds", .number(polling.safetyMarginMilliseconds)),
                    JSONMember("write_retry_seconds", .number(polling.writeRetrySeconds)),
                ])
            ),
            JSONMember("merchants", .array(configuration.merchants.map(merchant))),
            JSONMember(
                "retention",
                .object([
                    JSONMember("final_row_days", .number(Double(configuration.retention.finalRowDays))),
                    JSONMember("transition_days", .number(Double(configuration.retention.transitionDays))),
                ])
            ),
        ])
    }

    private static func merchant(_ merchant: MerchantSettings) -> JSONValue {
        .object([
            JSONMember("mchid", .string(merchant.merchantID)),
            JSONMember("certificate_serial", .string(merchant.certificateSerial)),
            JSONMember("private_key_file", .string(merchant.privateKeyFile)),
            JSONMember("wechatpay_public_key_id", optional(merchant.wechatpayPublicKeyID)),
            JSONMember("wechatpay_public_key_file", optional(merchant.wechatpayPublicKeyFile)),
            JSONMember("apiv3_key_file", optional(merchant.apiv3KeyFile)),
            JSONMember("requests_per_second", .number(Double(merchant.requestsPerSecond))),
        ])
    }

    private static func optional(_ string: String?) -> JSONValue { string.map { .string($0) } ?? .null }

    /// Two-space indentation, `"key": value`, members in the order given.
    private static func render(_ value: JSONValue, indent: String) -> String {
        let inner = indent + "  "
        switch value {
        case .null: return "null"
        case .bool(let bool): return String(bool)
        // JSON has no infinity or NaN; `null` keeps the file parseable and the loader then names the key.
        case .number(let number): return number.isFinite ? JSONValue.format(number) : "null"
        case .string(let string): return escaped(string)
        case .array(let elements):
            if elements.isEmpty { return "[]" }
            let lines = elements.map { inner + render($0, indent: inner) }
            return "[\n" + lines.joined(separator: ",\n") + "\n\(indent)]"
        case .object(let members):
            if members.isEmpty { return "{}" }
            let lines = members.map { inner + escaped($0.key) + ": " + render($0.value, indent: inner) }
            return "{\n" + lines.joined(separator: ",\n") + "\n\(indent)}"
        }
    }

    private static func escaped(_ string: String) -> String {
        var result = ""
        LogEscaping.appendJSONString(string, to: &result)
        return result
    }
}
