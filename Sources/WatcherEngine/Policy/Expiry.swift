import Foundation
import WatcherStore

/// The one rule for a row still unfinished at its deadline, whoever notices first: its lane, the intake's sweep
/// (a lane that is paused never reaches it), or a poll that failed past it. All three end it the same way and
/// say so in the same words.
package enum Expiry {
    /// True when `row`, started at its creation (or first sight), has outlived `deadline` seconds at `now`.
    package static func isDue(_ row: QueuedRow, now: Double, deadline: Double) -> Bool {
        guard let started = row.startedAt else { return false }
        return now - started >= deadline
    }

    /// Ends the watch in `update`: `EXPIRED`, with the message as the row's error and the transition's detail.
    ///
    /// - Parameter lastError: the failure that was retried when the deadline passed, if a poll noticed it.
    package static func end(_ update: inout RowUpdate, state: String, deadline: Double, lastError: String? = nil) {
        let text = message(state: state, deadline: deadline, lastError: lastError)
        update.newState = LocalState.expired
        update.isTerminal = true
        update.error = .set(text)
        update.transitionDetail = text
    }

    /// `still PROCESSING after the deadline of 24 h`, then `; last error: …` when there was one.
    package static func message(state: String, deadline: Double, lastError: String? = nil) -> String {
        "still \(state) after the deadline of \(duration(deadline))" + (lastError.map { "; last error: \($0)" } ?? "")
    }

    /// Whole hours as `24 h`, anything else as whole seconds: the deadline is configured in hours.
    private static func duration(_ seconds: Double) -> String {
        seconds.truncatingRemainder(dividingBy: 3600) == 0 ? "\(Int(seconds / 3600)) h" : "\(Int(seconds)) s"
    }
}
