import Foundation

/// What has been learned about how long resources of one cohort take: the ages at which recent ones finished, and
/// from them the ages at which a row of the cohort is *in play*: possibly finished since its last poll, so worth a
/// token.
///
/// Each completion is learned at the age it most likely happened: midway between the poll that last found its row
/// unfinished and the one that found it finished (at the age of that poll when it was the first). Not the age it was
/// seen at: a row kept out of play until some age is seen finished at that age or later whenever it finished, so
/// ages seen could only ever move the start of play later, and a start learned late from the first few completions
/// would stay late.
///
/// Two kinds of age are out of play:
/// - **Too young**: before the age by which ``skippedShare`` of the completions had happened, plus half a minimum
///   interval (the first poll there finds every completion of that half interval at once, within half an
///   interval). With few completions the youngest of `n` is about the 1/(n+1) quantile, later than the share sought,
///   so the age is drawn in by n/(n+1). Every row of the cohort passes through these ages, so skipping them saves
///   the most; a completion this early waits only until its row enters play.
/// - **A gap** between a fast and a slow group: two completions with none between them, the second at least three
///   times as old as the first and at least ``shortestGap`` later, and at least ``fewestAfterGap`` (and
///   ``skippedShare``) of the completions older still. With k of them, the gap ends 1/(k+1) of its length before
///   the youngest: like the youngest of a few completions past the young edge, it lies past where its group begins.
///
/// Nothing else is skipped, in particular not the sparse tail of a group: a row that has outlived most of its cohort
/// is as likely to finish in its next second as any, and skipping such ages would cost the slowest completions tens
/// of seconds.
///
/// Past the oldest completion seen the model knows nothing (only finished rows teach it, so early on it sees the
/// fast ones alone): such a row is in play, but yields to rows of known ages (see ``BudgetScheduler``), the more
/// the further it outlived that completion and the more polls have found rows past it unfinished since the last
/// record (see ``yielding(atAge:)``), at most ``longestYield``, so a new record is still noticed soon.
///
/// A pure value; ages are seconds since the row's clock started.
package struct CompletionModel: Sendable {
    /// The share of completions the too-young ages may hold.
    package static let skippedShare = 0.01
    /// The shortest run of ages without a completion that counts as a gap, in seconds.
    package static let shortestGap = 5.0
    /// The fewest completions older than a gap: fewer are the tail of the group before it.
    package static let fewestAfterGap = 5
    /// Past the oldest completion seen, the yield in seconds per multiple of that completion's age by which a row
    /// outlived it (at 1.5 × that age, half of this).
    package static let pastOldestYield = 3.0
    /// Polls finding rows past the oldest completion unfinished before that yield is whole; until then a share.
    package static let pastOldestEvidence = 30
    /// The longest yield in seconds: while rows of known ages take every token, a yielding row waits this long
    /// beyond its due time at most, so the first completions of a slow group are still seen within seconds.
    package static let longestYield = 4.0

    /// How many recent completions are kept.
    package let capacity: Int

    /// The ages at which the recent completions most likely happened.
    private var samples: [Double] = []
    /// The ages at which they were seen, slot for slot.
    private var seenAges: [Double] = []
    private var nextSlot = 0
    private var playsFrom = 0.0
    private var gaps: [ClosedRange<Double>] = []
    private var oldest = 0.0
    private var isStale = true
    /// The oldest completion ever learned, and the polls since then that found a row older still unfinished.
    private var oldestEver = 0.0
    private var pollsPastRecord = 0

    /// Creates an empty model.
    package init(capacity: Int = 1_000) {
        precondition(capacity > 0, "a model needs room for samples")
        self.capacity = capacity
    }

    /// Completions learned so far (at most ``capacity``).
    package var sampleCount: Int { samples.count }

    /// Learns that one resource was seen finished `age` seconds after its clock started, having been seen unfinished
    /// at `unfinishedAtAge` (nil: never seen unfinished): it most likely finished midway.
    package mutating func record(age: Double, unfinishedAtAge: Double? = nil) {
        guard age.isFinite, age >= 0 else { return }
        var likely = age
        if let earlier = unfinishedAtAge, earlier.isFinite, earlier >= 0, earlier < age {
            likely = (earlier + age) / 2
        }
        if age > oldestEver { (oldestEver, pollsPastRecord) = (age, 0) }
        if samples.count < capacity {
            samples.append(likely)
            seenAges.append(age)
        } else {
            samples[nextSlot] = likely
            seenAges[nextSlot] = age
            nextSlot = (nextSlot + 1) % capacity
        }
        isStale = true
    }

    /// Whether a row of this age is in play, for polls at least `minimumInterval` apart.
    package mutating func isInPlay(atAge age: Double, minimumInterval: Double) -> Bool {
        refresh()
        return entersPlay(atOrAfter: age, minimumInterval: minimumInterval) == age
    }

    /// How long after a poll at `age` to poll again: the shortest interval of `range` if the row is then in play
    /// (as it is past the oldest completion seen), else the time until it enters play (at most the longest
    /// interval).
    package mutating func interval(fromAge age: Double, within range: ClosedRange<Double>) -> Double {
        refresh()
        let earliest = age + range.lowerBound
        if earliest > oldest { return range.lowerBound }
        let entersPlay = entersPlay(atOrAfter: earliest, minimumInterval: range.lowerBound)
        return min(range.upperBound, max(range.lowerBound, entersPlay - age))
    }

    /// How long a row of `age` never polled waits before it enters play: nothing if it is in play already (as past
    /// the oldest completion seen), else the time until it does, at most the longest interval of `range`.
    package mutating func waitToEnterPlay(fromAge age: Double, within range: ClosedRange<Double>) -> Double {
        refresh()
        if age > oldest { return 0 }
        return min(range.upperBound, max(0, entersPlay(atOrAfter: age, minimumInterval: range.lowerBound) - age))
    }

    /// How far a row due at `age`, still unfinished at its last poll, yields to rows of known ages: nothing up to
    /// the oldest completion seen; past it ``pastOldestYield`` per multiple of that age by which it outlived it,
    /// scaled by the evidence (polls that found rows past it unfinished, of ``pastOldestEvidence``: the first rows
    /// past a young model's oldest completion are usually just the next to finish), at most ``longestYield``.
    package mutating func yielding(atAge age: Double) -> Double {
        refresh()
        guard age > oldest else { return 0 }
        pollsPastRecord += 1
        let evidence = min(1, Double(pollsPastRecord) / Double(Self.pastOldestEvidence))
        return min(Self.longestYield, Self.pastOldestYield * (age - oldest) / max(oldest, 1) * evidence)
    }

    /// The first age from `age` on that is in play (the gaps are in order).
    private func entersPlay(atOrAfter age: Double, minimumInterval: Double) -> Double {
        var entersPlay = max(age, playsFrom + minimumInterval / 2)
        for gap in gaps where entersPlay > gap.lowerBound && entersPlay < gap.upperBound { entersPlay = gap.upperBound }
        return entersPlay
    }

    /// Derives the ages out of play from the samples.
    private mutating func refresh() {
        guard isStale else { return }
        isStale = false
        let sorted = samples.sorted()
        oldest = seenAges.max() ?? 0
        guard !sorted.isEmpty else {
            (playsFrom, gaps) = (0, [])
            return
        }
        playsFrom = sorted[Int(Self.skippedShare * Double(sorted.count))]
        playsFrom *= Double(sorted.count) / Double(sorted.count + 1)
        let lastStart =
            sorted.count - max(Self.fewestAfterGap, Int((Self.skippedShare * Double(sorted.count)).rounded(.up)))
        gaps = (0..<max(0, lastStart)).compactMap { index in
            let (start, end) = (sorted[index], sorted[index + 1])
            guard end - start >= max(Self.shortestGap, 2 * start) else { return nil }
            let after = Double(sorted.count - index - 1)
            return start...(start + (end - start) * after / (after + 1))
        }
    }
}
