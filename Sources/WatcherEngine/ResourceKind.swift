import WatcherSQLite
import WatcherStore
import WeChatPay

/// One kind of asynchronous WeChat Pay resource the watcher follows to a final state.
///
/// Everything the engine does — intake, validation of the common columns, rate limits, scheduling, error
/// mapping, failover, writing, logging, status — is shared. A kind supplies only what is specific to its API:
/// its table and migrations, its own validation, the request, and how to read a verified answer. Adding a kind is
/// one small module implementing this protocol, listed where the program lists its kinds.
package protocol ResourceKind: Sendable {
    /// Where the rows live, which columns matter, and the migrations that build the table.
    var schema: KindSchema { get }
    /// The states WeChat Pay answers with that end the watch (e.g. `SUCCESS`, `FAIL`).
    var finalStates: Set<String> { get }
    /// Checks the kind-specific inputs of a new row (id format, parameters); returns the problem, or nil.
    /// The engine already checked the merchant and the brand.
    func validate(_ row: QueuedRow) -> String?
    /// The request asking WeChat Pay about the row.
    func request(for row: QueuedRow) -> APIRequest
    /// Reads a verified answer about the row.
    func interpret(_ body: [UInt8], for row: QueuedRow) -> Interpretation
    /// Rows of the same cohort take similar times to finish (e.g. one image generation type); the scheduler
    /// learns durations per merchant and cohort.
    func cohort(of row: QueuedRow) -> String
    /// What a row's result columns (those not NULL) say, in a few words for a person: e.g. the image URL.
    func describeResults(_ results: [String: String]) -> String?
}

extension ResourceKind {
    /// Where the rows live and which columns matter.
    package var table: ResourceTable { schema.table }

    /// The first result column that has a value.
    package func describeResults(_ results: [String: String]) -> String? {
        table.resultColumns.lazy.compactMap { results[$0] }.first
    }

    /// The name of the resource: `state_transitions.resource`, log and metric label, limiter bucket.
    package var resource: String { table.resource }
}

/// What a verified answer says about a row.
package enum Interpretation: Sendable, Equatable {
    /// WeChat Pay reports `state`; `results` are result columns to store (e.g. `image_url`). `notice`, when set,
    /// is worth a log line but does not make the answer wrong (e.g. an enumeration value this program does not
    /// know yet in a field it only stores).
    case state(String, results: [String: SQLiteValue], detail: String?, notice: String? = nil)
    /// The answer verified but cannot be right (wrong id, missing URL, unknown state, bad JSON): not believed.
    case anomaly(String)
}

/// The local states every kind shares besides its own.
package enum LocalState {
    /// Inserted by a producer, not yet answered.
    package static let pending = "PENDING"
    /// The row or WeChat Pay says the request can never succeed; `error` says why.
    package static let rejected = "REJECTED"
    /// Still unfinished after the deadline.
    package static let expired = "EXPIRED"
}
