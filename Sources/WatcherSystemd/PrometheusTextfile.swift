import Foundation

/// Metrics in the Prometheus text exposition format, written atomically for node_exporter's textfile
/// collector (`--collector.textfile.directory`).
public struct PrometheusTextfile: Sendable, Equatable {
    /// Counter or gauge.
    public enum Kind: String, Sendable {
        /// Only goes up (until the process restarts).
        case counter
        /// Goes up and down.
        case gauge
    }

    /// One metric family: a name, its help and type, its samples.
    public struct Family: Sendable, Equatable {
        /// The metric name, e.g. `wechatpay_watcher_requests_total`.
        public var name: String
        /// One line of help.
        public var help: String
        /// Counter or gauge.
        public var kind: Kind
        /// Label sets and values.
        public var samples: [Sample]

        /// Creates a family.
        public init(name: String, help: String, kind: Kind, samples: [Sample] = []) {
            self.name = name
            self.help = help
            self.kind = kind
            self.samples = samples
        }
    }

    /// One sample.
    public struct Sample: Sendable, Equatable {
        /// Label names and values.
        public var labels: [String: String]
        /// The value.
        public var value: Double

        /// Creates a sample.
        public init(_ labels: [String: String] = [:], _ value: Double) {
            self.labels = labels
            self.value = value
        }
    }

    /// The families, rendered in this order.
    public var families: [Family]

    /// Creates a file's content.
    public init(families: [Family]) {
        self.families = families
    }

    /// The text: `# HELP`, `# TYPE`, then samples with labels sorted by name, values in Go's float syntax.
    public func render() -> String {
        var text = ""
        for family in families {
            text += "# HELP \(family.name) \(Self.escapeHelp(family.help))\n"
            text += "# TYPE \(family.name) \(family.kind.rawValue)\n"
            let lines = family.samples.map { sample -> String in
                let labels = sample.labels.keys.sorted().map { "\($0)=\"\(Self.escapeLabel(sample.labels[$0]!))\"" }
                return family.name + (labels.isEmpty ? "" : "{" + labels.joined(separator: ",") + "}") + " "
                    + Self.format(sample.value)
            }
            for line in lines.sorted() { text += line + "\n" }
        }
        return text
    }

    /// Writes the text to a temporary file beside `path`, flushes it, and renames it over `path`, so the
    /// collector never reads half a file.
    public func write(to path: String) throws {
        let temporary = path + ".tmp.\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Self.failure("cannot create \(temporary)") }
        let bytes = Array(render().utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == bytes.count, synced else {
            unlink(temporary)
            throw Self.failure("cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw Self.failure("cannot rename \(temporary) to \(path)")
        }
    }

    static func escapeHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func escapeLabel(_ text: String) -> String {
        escapeHelp(text).replacingOccurrences(of: "\"", with: "\\\"")
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    private static func failure(_ message: String) -> any Error {
        NSError(
            domain: "PrometheusTextfile", code: Int(errno),
            userInfo: [NSLocalizedDescriptionKey: "\(message): \(String(cString: strerror(errno)))"])
    }
}
