/// How long rows the daemon has finished with, and the history of every row, are kept (`retention`).
///
/// The row is the producer's record of the result, so nothing is deleted unless the operator chose a period.
package struct RetentionSettings: Sendable, Equatable {
    /// Rows final for longer than this many days are deleted with their `state_transitions`; 0 keeps them forever.
    package var finalRowDays: Int
    /// `state_transitions` older than this many days are deleted, also of rows still kept; 0 keeps them forever.
    package var transitionDays: Int

    /// Keep everything: the values used when the file has no `retention` section or leaves a key out.
    package static let defaults = RetentionSettings(finalRowDays: 0, transitionDays: 0)

    /// Settings from their parts.
    package init(finalRowDays: Int, transitionDays: Int) {
        self.finalRowDays = finalRowDays
        self.transitionDays = transitionDays
    }
}
