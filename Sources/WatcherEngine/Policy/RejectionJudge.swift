/// Tells a row's problem from the merchant's, for the codes that would end a row as `REJECTED`.
///
/// `NO_AUTH` is often merchant-wide (the API permission not granted yet), and `INVALID_REQUEST` can be a passing
/// business state; rejecting on the first one would empty a whole queue in seconds over one misconfiguration. So:
/// the same one of these codes for rows of two or more brands, or for five rows while no other brand is answered,
/// within a minute and with no believed answer for any row of the lane since the first of them, is the merchant's
/// problem (the lane pauses, the rows keep their state).
/// `PARAM_ERROR` is a malformed request, always the row's own problem. Otherwise a row is held and asked again before
/// it is rejected — `NO_AUTH` and `PARAM_ERROR` once, `INVALID_REQUEST` a few times with back-off.
///
/// One per lane; pure: the clock comes in, a verdict comes out.
package struct RejectionJudge: Sendable {
    /// What to do with a row that got a rejecting code.
    package enum Verdict: Sendable, Equatable {
        /// The merchant's problem: pause the lane, keep the row as it is.
        case merchantWide
        /// Not decided yet: ask again after `seconds`.
        case retry(afterSeconds: Double)
        /// The row's own problem: end it `REJECTED`.
        case reject
    }

    /// The codes this judge is asked about; every other code has its own rule.
    package static let rejectingCodes: Set<String> = ["NO_AUTH", "INVALID_REQUEST", "PARAM_ERROR"]
    /// The rejecting codes that can be the merchant's problem; the others are always the row's.
    package static let merchantWideCodes: Set<String> = ["NO_AUTH", "INVALID_REQUEST"]

    private struct Sighting {
        var code: String
        var brand: String
        var rowID: Int64
        var at: Double
    }

    /// How far back sightings and successes count.
    package var window = 60.0
    /// This many brands with the same code make it merchant-wide.
    package var brandThreshold = 2
    /// This many rows with the same code make it merchant-wide.
    package var rowThreshold = 5
    /// The answer that rejects a row for `INVALID_REQUEST` (the earlier ones are retried with back-off).
    package var invalidRequestAttempts = 4
    /// The answer that rejects a row for `NO_AUTH` or `PARAM_ERROR` (the first one holds the row a moment).
    package var otherAttempts = 2
    /// How long a row is held after its first `NO_AUTH` or `PARAM_ERROR`, so other rows' answers can show
    /// whether the merchant is at fault.
    package var hold = 5.0

    private var sightings: [Sighting] = []
    /// When a row of the lane last got a believed answer.
    private var lastSuccess = -Double.infinity
    /// When a row of each brand last got one.
    private var successes: [String: Double] = [:]
    private var attempts: [Int64: Int] = [:]

    /// A judge with the documented thresholds.
    package init() {}

    /// A row of `brand` got `code` at `now`. While the lane is paused for an earlier verdict, every code that can
    /// be merchant-wide is more of the same.
    package mutating func rejected(code: String, brand: String, rowID: Int64, now: Double, lanePaused: Bool)
        -> Verdict
    {
        if Self.merchantWideCodes.contains(code) {
            sightings.removeAll { $0.at < now - window }
            sightings.append(Sighting(code: code, brand: brand, rowID: rowID, at: now))
            if lanePaused { return .merchantWide }
            // Only what came after the lane's last believed answer: one between two sightings shows the merchant
            // could use the API then, and a permission revoked since shows as sightings with none after them.
            let same = sightings.filter { $0.code == code && $0.at > lastSuccess }
            let brands = Set(same.map(\.brand))
            let rows = Set(same.map(\.rowID))
            // Many rows of one brand while another brand is answered are that brand's authorisation.
            let otherBrandAnswered = successes.contains { !brands.contains($0.key) && $0.value >= now - window }
            if brands.count >= brandThreshold || (rows.count >= rowThreshold && !otherBrandAnswered) {
                return .merchantWide
            }
        }
        let attempt = attempts[rowID, default: 0] + 1
        attempts[rowID] = attempt
        if code == "INVALID_REQUEST" {
            guard attempt < invalidRequestAttempts else { return .reject }
            return .retry(afterSeconds: RetryBackoff.delay(failures: attempt, seed: rowID, cap: 30))
        }
        return attempt < otherAttempts ? .retry(afterSeconds: hold) : .reject
    }

    /// A row of `brand` got a believed answer: the merchant could use this API then, so the rejecting codes seen
    /// before it were the rows' own problems.
    package mutating func succeeded(brand: String, now: Double) {
        lastSuccess = max(lastSuccess, now)
        successes[brand] = max(successes[brand] ?? now, now)
        if successes.count > 1_000 { successes = successes.filter { $0.value >= now - window } }
    }

    /// A row left the watch: its attempts are forgotten.
    package mutating func forget(rowID: Int64) {
        attempts[rowID] = nil
    }

    /// The lane resumed after a merchant-wide pause: the sightings that paused it are forgotten; each row keeps its
    /// attempts, so a row that keeps getting a rejecting code is still rejected.
    package mutating func resumed() {
        sightings = []
    }
}
