import Foundation

/// Metrics in the Prometheus text exposition format (version 0.0.4), written atomically for node_exporter's
/// textfile collector (`--collector.textfile.directory`).
///
/// ```swift
/// let pending = PrometheusTextfile.Family(
///     name: "wechatpay_watcher_pending", help: "Rows still being watched.", kind: .gauge,
///     samples: [.init(["merchant": "1900000001"], 12)])
/// try PrometheusTextfile(families: [pending]).write(to: "/var/lib/prometheus/node-exporter/wechatpay_watcher.prom")
/// ```
package struct PrometheusTextfile: Sendable, Equatable {
    /// The metric types this daemon exports.
    package enum Kind: String, Sendable {
        /// Only goes up (until the process restarts).
        case counter
        /// Goes up and down.
        case gauge
    }

    /// One metric family: a name, its help and type, its samples.
    package struct Family: Sendable, Equatable {
        /// The metric name, `[a-zA-Z_:][a-zA-Z0-9_:]*`, e.g. `wechatpay_watcher_requests_total`.
        package var name: String
        /// What the metric means; may contain anything, it is escaped.
        package var help: String
        /// Counter or gauge.
        package var kind: Kind
        /// One sample per distinct label set.
        package var samples: [Sample]

        /// A family with `samples`, or none yet.
        package init(name: String, help: String, kind: Kind, samples: [Sample] = []) {
            self.name = name
            self.help = help
            self.kind = kind
            self.samples = samples
        }
    }

    /// One sample: a label set and its value.
    package struct Sample: Sendable, Equatable {
        /// Label names (`[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`) and values (anything; escaped).
        package var labels: [String: String]
        /// The value; NaN and the infinities are written as Prometheus spells them.
        package var value: Double

        /// A sample of `value` with `labels`.
        package init(_ labels: [String: String] = [:], _ value: Double) {
            self.labels = labels
            self.value = value
        }
    }

    /// The families; ``render()`` sorts them by name.
    package var families: [Family]

    /// A file's content.
    package init(families: [Family]) {
        self.families = families
    }

    /// Throws the first name the format does not allow, or the first family or label set given twice: either
    /// would make node_exporter reject the whole file.
    package func validate() throws(PrometheusTextfileError) {
        var names: Set<String> = []
        for family in families {
            guard Self.isMetricName(family.name) else { throw .invalidMetricName(family.name) }
            guard names.insert(family.name).inserted else { throw .duplicateFamily(family.name) }
            var labelSets: Set<String> = []
            for sample in family.samples {
                for label in sample.labels.keys where !Self.isLabelName(label) {
                    throw .invalidLabelName(metric: family.name, label: label)
                }
                let labels = Self.renderLabels(sample.labels)
                guard labelSets.insert(labels).inserted else {
                    throw .duplicateSample(metric: family.name, labels: labels)
                }
            }
        }
    }

    /// The text: per family by name, `# HELP`, `# TYPE`, then its samples sorted by label set, labels sorted by
    /// name. The same metrics always give the same bytes.
    package func render() -> String {
        var text = ""
        for family in families.sorted(by: { $0.name < $1.name }) {
            text += "# HELP \(family.name) \(Self.escape(family.help, quotes: false))\n"
            text += "# TYPE \(family.name) \(family.kind.rawValue)\n"
            let samples = family.samples.map { (labels: Self.renderLabels($0.labels), value: $0.value) }
            for sample in samples.sorted(by: { $0.labels < $1.labels }) {
                text += family.name + sample.labels + " " + Self.format(sample.value) + "\n"
            }
        }
        return text
    }

    /// Validates, then writes the text to a temporary file in `path`'s folder, flushes it to disk, gives it mode
    /// 0644 (the collector runs as another user), and renames it over `path`: the collector sees the old file or
    /// the new one, never half of one. The temporary name starts with a dot and does not end in `.prom`, so the
    /// collector never reads it either.
    package func write(to path: String) throws(PrometheusTextfileError) {
        try validate()
        try AtomicFile.replace(path, with: Array(render().utf8), mode: 0o644)
    }

    static func escape(_ text: String, quotes: Bool) -> String {
        var escaped = ""
        for character in text.unicodeScalars {
            switch character {
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\"" where quotes: escaped += "\\\""
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    static func renderLabels(_ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return "" }
        let pairs = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(escape($0.value, quotes: true))\"" }
        return "{" + pairs.joined(separator: ",") + "}"
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    private static func isMetricName(_ name: String) -> Bool {
        isName(name, extra: ":")
    }

    private static func isLabelName(_ name: String) -> Bool {
        isName(name, extra: "") && !name.hasPrefix("__")
    }

    private static func isName(_ name: String, extra: String) -> Bool {
        guard let first = name.first, !first.isNumber else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || extra.contains($0)) }
    }
}

/// Why the metrics file was not written.
package enum PrometheusTextfileError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// A metric name outside `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    case invalidMetricName(String)
    /// A label name outside `[a-zA-Z_][a-zA-Z0-9_]*`, or reserved (`__…`).
    case invalidLabelName(metric: String, label: String)
    /// Two families of the same name.
    case duplicateFamily(String)
    /// Two samples of one family with the same labels.
    case duplicateSample(metric: String, labels: String)
    /// A system call failed while writing `path`.
    case writeFailed(path: String, operation: String, code: Int32)

    /// A sentence for the log.
    package var description: String {
        switch self {
        case .invalidMetricName(let name): "invalid Prometheus metric name \"\(name)\""
        case .invalidLabelName(let metric, let label): "invalid label name \"\(label)\" in metric \(metric)"
        case .duplicateFamily(let name): "metric \(name) is given twice"
        case .duplicateSample(let metric, let labels): "metric \(metric) has two samples labelled \(labels)"
        case .writeFailed(let path, let operation, let code):
            "cannot write the metrics file \(path): \(operation): \(systemErrorText(code))"
        }
    }

    /// The same sentence, for `localizedDescription`.
    package var errorDescription: String? { description }
}
