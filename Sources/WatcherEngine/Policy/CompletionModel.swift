import Foundation

/// What has been learned about how long resources of one cohort take: the ages at which recent ones finished,
/// turned into a smoothed hazard (the chance per second that a still-unfinished one finishes now), and from it the
/// ages at which a row of the cohort is *in play*: likely enough to finish that polling it is worth a token.
///
/// Out of play are the ages of lowest hazard that together hold at most ``skippedShare`` of the completions:
/// too young (nothing finishes in its first seconds), or a gap between a fast and a slow group. Past the oldest
/// completion seen the model knows nothing (only finished rows teach it, so early on it sees the fast ones alone):
/// such a row is in play, except that it yields to rows of known ages when they compete for the tokens (see
/// ``BudgetScheduler``): then it is polled again after ``pastOldestSpacing`` of the time by which it has outlived
/// that completion, so a new record is still noticed soon.
///
/// A pure value; ages are seconds since the row's clock started.
package struct CompletionModel: Sendable {
    /// The share of completions the ages out of play may hold.
    package static let skippedShare = 0.01
    /// Past the oldest completion seen, the wait before the next poll as a share of how far past it the row is.
    package static let pastOldestSpacing = 0.1

    /// The narrowest bin, in seconds; bins widen to cover the slowest completions seen.
    package let binWidth: Double
    /// Ages up to the bin width × `binCount` are modelled bin by bin; older ones are in play.
    package let binCount: Int
    /// How many recent completions are kept.
    package let capacity: Int

    private var samples: [Double] = []
    private var nextSlot = 0
    private var hazards: [Double] = []
    private var inPlay: [Bool] = []
    private var width: Double
    private var oldest = 0.0
    private var isStale = true

    /// Creates an empty model.
    package init(binWidth: Double = 0.25, binCount: Int = 1_440, capacity: Int = 1_000) {
        precondition(binWidth > 0 && binCount > 0 && capacity > 0, "a model needs bins and room for samples")
        self.binWidth = binWidth
        self.binCount = binCount
        self.capacity = capacity
        self.width = binWidth
    }

    /// Completions learned so far (at most ``capacity``).
    package var sampleCount: Int { samples.count }

    /// Learns that one resource finished `age` seconds after its clock started.
    package mutating func record(age: Double) {
        guard age.isFinite, age >= 0 else { return }
        if samples.count < capacity {
            samples.append(age)
        } else {
            samples[nextSlot] = age
            nextSlot = (nextSlot + 1) % capacity
        }
        isStale = true
    }

    /// The smoothed hazard at `age`, per second (for tests and logs); 0 past the modelled ages.
    package mutating func hazard(at age: Double) -> Double {
        refresh()
        let bin = Int(max(0, age) / width)
        return bin < binCount ? hazards[bin] : 0
    }

    /// Whether a row of this age is in play.
    package mutating func isInPlay(atAge age: Double) -> Bool {
        refresh()
        let bin = Int(max(0, age) / width)
        return bin >= binCount || age > oldest || inPlay[bin]
    }

    /// Whether completions as old as `age` have been seen: past the oldest one, the model knows nothing.
    package mutating func knows(age: Double) -> Bool {
        refresh()
        return age <= oldest
    }

    /// How long after a poll at `age` to poll again: the shortest interval of `range` if the row is then in play,
    /// else the time until it enters play (at most the longest interval). Past the oldest completion seen, the
    /// shortest interval, or when `yielding`, ``pastOldestSpacing`` of the excess.
    package mutating func interval(
        fromAge age: Double, within range: ClosedRange<Double>, yielding: Bool = false
    ) -> Double {
        refresh()
        let earliest = age + range.lowerBound
        if earliest > oldest {
            guard yielding else { return range.lowerBound }
            return min(range.upperBound, max(range.lowerBound, Self.pastOldestSpacing * (age - oldest)))
        }
        guard !isInPlay(atAge: earliest) else { return range.lowerBound }
        var bin = Int(earliest / width) + 1
        while bin < binCount, Double(bin) * width <= oldest, !inPlay[bin] { bin += 1 }
        return min(range.upperBound, max(range.lowerBound, Double(bin) * width - age))
    }

    /// Rebuilds the hazard from the samples: a life table (completions over rows still at risk per bin), smoothed.
    private mutating func refresh() {
        guard isStale else { return }
        isStale = false
        let sorted = samples.sorted()
        oldest = sorted.last ?? 0
        // The bins cover half again the slowest completion seen, so a cohort of hours gets as many as one of seconds.
        width = max(binWidth, oldest * 1.5 / Double(binCount))
        var completions = [Double](repeating: 0, count: binCount + 1)
        for age in samples { completions[min(Int(age / width), binCount)] += 1 }
        var prefix = [0.0]
        for count in completions { prefix.append(prefix[prefix.count - 1] + count) }
        var atRisk = Double(samples.count)
        hazards = [Double](repeating: 0, count: binCount)
        for bin in 0..<binCount {
            // Smoothed over ±15% of the age (at least ±4 bins): fine where completions are dense, wide in a sparse
            // tail, where a few samples would otherwise leave holes.
            let half = max(4, bin * 15 / 100)
            let low = max(0, bin - half)
            let high = min(binCount, bin + half + 1)
            let expected = (prefix[high] - prefix[low]) / Double(high - low)
            hazards[bin] = atRisk > 0 ? expected / (atRisk * width) : 0
            atRisk = max(0, atRisk - completions[bin])
        }
        // The ages least worth a poll — lowest hazard first — are left out of play until they hold a share of
        // `skippedShare` of the completions: the allocation that maximises the share found within a given delay.
        let last = min(binCount, Int(oldest / width) + 1)
        inPlay = [Bool](repeating: true, count: binCount)
        var skipped = 0.0
        for bin in (0..<last).sorted(by: { hazards[$0] < hazards[$1] }) {
            skipped += completions[bin]
            if skipped > Self.skippedShare * Double(samples.count) { break }
            inPlay[bin] = false
        }
    }
}
