import Foundation
import WatcherSQLite
import WatcherStore

/// `status --config FILE [--json]`: what the queue and the daemon are doing.
enum StatusCommand: Command {
    static let name = "status"
    static let summary =
        "Show counts per state and merchant, the oldest unfinished row, recent request rates and errors."
    static let usage = "status --config FILE [--json]"
    static let options: [Arguments.Option] = [
        .init(name: "config", takesValue: true, help: "the configuration file (JSON)", valueName: "FILE"),
        .init(name: "json", takesValue: false, help: "print one JSON document instead of text"),
    ]

    static func run(_ arguments: Arguments) async throws(CLIError) -> Int32 {
        let configuration = try Setup.configuration(try arguments.required("config")).configuration
        let connection = try Setup.readOnlyDatabase(configuration.database)
        defer { connection.close() }
        let report: StatusReport
        do {
            report = try StatusReport.load(from: connection, tables: Setup.kinds.map(\.table), now: Date())
        } catch {
            throw .runtime("cannot read database \(configuration.database): \(error)")
        }
        if arguments.flag("json") {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            guard let data = try? encoder.encode(report) else { throw .runtime("cannot encode the status as JSON") }
            Output.line(String(decoding: data, as: UTF8.self))
        } else {
            Output.line(render(report))
        }
        return 0
    }

    static func render(_ report: StatusReport) -> String {
        var lines = ["database: \(report.database) (schema version \(report.schemaVersion))"]
        lines += renderRetentionFigures(report)
        if let process = report.process {
            let state = process.stoppedAt.map { "stopped at \($0)" } ?? "last heartbeat \(process.heartbeatAt)"
            lines.append(
                "daemon: pid \(process.pid) on \(process.hostname), version \(process.version), started \(process.startedAt), \(state)"
            )
            if let status = process.status { lines.append("        \(status)") }
        } else {
            lines.append("daemon: has not run on this database yet")
        }
        lines.append("")
        lines.append(
            report.counts.isEmpty
                ? "no rows yet"
                : TextTable.render(
                    header: ["RESOURCE", "MERCHANT", "STATE", "ROWS"],
                    rows: report.counts.map { [$0.resource, $0.merchantID, $0.state, String($0.rows)] }
                )
        )
        if !report.oldestUnfinished.isEmpty {
            lines.append("\noldest unfinished:")
            lines.append(
                TextTable.render(
                    header: ["RESOURCE", "MERCHANT", "ID", "CREATED", "AGE"],
                    rows: report.oldestUnfinished.map {
                        [
                            $0.resource, $0.merchantID, $0.resourceID, $0.createdAt,
                            $0.ageSeconds.map { "\(Int($0)) s" } ?? "?",
                        ]
                    }
                )
            )
        }
        lines.append("\nrequests in the last \(report.rateWindowMinutes) minutes:")
        lines.append(
            report.rates.isEmpty
                ? "none"
                : TextTable.render(
                    header: ["MERCHANT", "API", "REQUESTS", "PER SECOND", "THROTTLED", "FAILED"],
                    rows: report.rates.map {
                        [
                            $0.merchantID, $0.resource, String($0.requests), String($0.requestsPerSecond),
                            String($0.throttled), String($0.failures),
                        ]
                    }
                )
        )
        if !report.recentErrors.isEmpty {
            lines.append("\nrecent errors:")
            for error in report.recentErrors { lines.append("  \(error.at) \(error.subject): \(error.message)") }
        }
        return lines.joined(separator: "\n")
    }
}
