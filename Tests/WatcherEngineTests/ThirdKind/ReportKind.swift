import Foundation
import WatcherEngine
import WatcherSQLite
import WatcherStore
import WeChatPay

/// A third resource kind that exists only in the tests: what a new kind's module consists of (this file and the
/// next), with nothing in the engine or the store changed for it. Reports go `PENDING` → `RUNNING` →
/// `DONE` (with a URL) | `FAILED`.
struct ReportKind: ResourceKind {
    var schema: KindSchema { Self.schema }

    var finalStates: Set<String> { ["DONE", "FAILED"] }

    func validate(_ row: QueuedRow) -> String? {
        RowValidation.identifierProblem(row.resourceID, column: "report_id", minimum: 1, maximum: 32)
    }

    func request(for row: QueuedRow) -> APIRequest {
        APIRequest(pathSegments: ["v3", "test", "reports", row.resourceID], query: [("brand_id", row.brandID)])
    }

    func interpret(_ body: [UInt8], for row: QueuedRow) -> Interpretation {
        struct Answer: Decodable {
            var reportID: String?
            var state: String?
            var url: String?

            enum CodingKeys: String, CodingKey {
                case reportID = "report_id"
                case state, url
            }
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(body)) else {
            return .anomaly("not a report")
        }
        guard answer.reportID == row.resourceID else { return .anomaly("answer is about another report") }
        switch answer.state {
        case "RUNNING", "FAILED": return .state(answer.state ?? "", results: [:], detail: nil)
        case "DONE":
            guard let url = answer.url else { return .anomaly("DONE without url") }
            return .state("DONE", results: ["report_url": .text(url)], detail: url)
        default: return .anomaly("unknown state")
        }
    }

    func cohort(of row: QueuedRow) -> String { "report" }

    /// An answer of the test WeChat Pay about `id`.
    static func body(_ id: String, _ state: String) -> String {
        let url = state == "DONE" ? #","url":"https://reports.example/\#(id).pdf""# : ""
        return #"{"report_id":"\#(id)","state":"\#(state)"\#(url)}"#
    }
}
