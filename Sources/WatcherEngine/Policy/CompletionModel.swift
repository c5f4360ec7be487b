import Foundation

/// What has been learned about how long resources of one cohort take: the ages at which recent ones finished,
/// turned into a smoothed hazard (the chance per second that a still-unfinished one finishes now).
///
/// The scheduler does not use the hazard itself but its square root, accumulated over age: polling each row at a
/// rate proportional to √hazard minimises the expected time between a completion and its detection for a given
/// number of polls (the classic square-root allocation). A row is due again once the accumulated √hazard since
/// its last poll reaches the budget's threshold; see ``BudgetScheduler``.
///
/// A pure value; ages are seconds since the row's clock started.
public struct CompletionModel: Sendable {
    /// The width of one age bin, in seconds.
    public let binWidth: Double
    /// Ages up to `binWidth × binCount` are modelled bin by bin; older ones share the tail hazard.
    public let binCount: Int
    /// How many recent completions are kept.
    public let capacity: Int

    private var samples: [Double] = []
    private var nextSlot = 0
    private var cumulative: [Double] = []
    private var tailRootHazard = 0.0
    private var isStale = true

    /// Creates an empty model.
    public init(binWidth: Double = 0.25, binCount: Int = 1_440, capacity: Int = 1_000) {
        precondition(binWidth > 0 && binCount > 0 && capacity > 0, "a model needs bins and room for samples")
        self.binWidth = binWidth
        self.binCount = binCount
        self.capacity = capacity
    }

    /// Completions learned so far (at most ``capacity``).
    public var sampleCount: Int { samples.count }

    /// Learns that one resource finished `age` seconds after its clock started.
    public mutating func record(age: Double) {
        guard age.isFinite, age >= 0 else { return }
        if samples.count < capacity {
            samples.append(age)
        } else {
            samples[nextSlot] = age
            nextSlot = (nextSlot + 1) % capacity
        }
        isStale = true
    }

    /// The smoothed hazard at `age`, per second (for tests and logs).
    public mutating func hazard(at age: Double) -> Double {
        refresh()
        let bin = Int(age / binWidth)
        guard bin >= 0, bin < binCount else { return tailRootHazard * tailRootHazard }
        let root = (cumulative[bin + 1] - cumulative[bin]) / binWidth
        return root * root
    }

    /// The time after `age` at which the accumulated √hazard reaches `threshold`, clamped to `range`.
    public mutating func interval(fromAge age: Double, threshold: Double, within range: ClosedRange<Double>) -> Double {
        refresh()
        let start = accumulated(at: age)
        let target = start + threshold
        // The accumulated √hazard only grows, so the first age at which it reaches the target can be bisected.
        var low = age + range.lowerBound
        if accumulated(at: low) >= target { return range.lowerBound }
        var high = age + range.upperBound
        if accumulated(at: high) < target { return range.upperBound }
        for _ in 0..<40 {
            let middle = (low + high) / 2
            if accumulated(at: middle) >= target { high = middle } else { low = middle }
            if high - low < 0.01 { break }
        }
        return high - age
    }

    /// The accumulated √hazard from age 0 to `age`.
    private func accumulated(at age: Double) -> Double {
        let clamped = max(0, age)
        let position = clamped / binWidth
        let bin = Int(position)
        guard bin < binCount else {
            return cumulative[binCount] + (clamped - Double(binCount) * binWidth) * tailRootHazard
        }
        let fraction = position - Double(bin)
        return cumulative[bin] + fraction * (cumulative[bin + 1] - cumulative[bin])
    }

    /// Rebuilds the accumulated √hazard from the samples: a life table (completions over rows still at risk per
    /// bin), smoothed over neighbouring bins, with floors so no age is written off.
    private mutating func refresh() {
        guard isStale else { return }
        isStale = false
        var completions = [Double](repeating: 0, count: binCount + 1)
        for age in samples { completions[min(Int(age / binWidth), binCount)] += 1 }
        let total = Double(samples.count)
        let smoothing = 4
        var atRisk = total
        var rootHazards = [Double](repeating: 0, count: binCount)
        for bin in 0..<binCount {
            var weighted = 0.0
            var weights = 0.0
            for offset in -smoothing...smoothing {
                let neighbour = bin + offset
                guard neighbour >= 0, neighbour < binCount else { continue }
                let weight = Double(smoothing + 1 - abs(offset))
                weighted += weight * completions[neighbour]
                weights += weight
            }
            let expected = weighted / weights
            let hazard = atRisk > 0 ? expected / (atRisk * binWidth) : 0
            rootHazards[bin] = hazard.squareRoot()
            atRisk = max(0, atRisk - completions[bin])
        }
        // Before the earliest completions (the 1st percentile) rows practically never finish: a token floor.
        // From there on a floor of a third of the peak keeps the slow ones from being polled too rarely: pure
        // √hazard allocation minimises the mean delay but lets the tail's delays grow without bound.
        let peak = rootHazards.max() ?? 0
        let sorted = samples.sorted()
        let earliest = sorted.isEmpty ? 0 : sorted[sorted.count / 100]
        let oldest = sorted.last ?? 0
        // Past the oldest completion seen, the model knows nothing: only finished rows teach it, so early on it
        // sees the fast ones alone. Rows older than that get a memoryless hazard of one completion per mean
        // observed age, never written off.
        let mean = total > 0 ? samples.reduce(0, +) / total : 1
        let memoryless = (1 / max(mean, binWidth)).squareRoot()
        cumulative = [Double](repeating: 0, count: binCount + 1)
        for bin in 0..<binCount {
            let age = Double(bin) * binWidth
            let root: Double
            if age + binWidth <= earliest {
                root = max(rootHazards[bin], peak * 0.02)
            } else if age > oldest {
                root = max(memoryless, peak / 3)
            } else {
                root = max(rootHazards[bin], peak / 3)
            }
            cumulative[bin + 1] = cumulative[bin] + root * binWidth
        }
        tailRootHazard = max(memoryless, peak / 3)
    }
}
