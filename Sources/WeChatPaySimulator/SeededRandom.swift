import Foundation

/// SplitMix64: a tiny, fast, seedable generator, so every simulated run with the same seed behaves the same.
package struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator from a seed.
    package init(seed: UInt64) {
        state = seed
    }

    /// Creates a generator whose sequence depends on a seed and a text (e.g. a task id), so a resource's fate does
    /// not depend on the order resources are seen in.
    package init(seed: UInt64, key: String) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in key.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        state = seed ^ hash
        _ = next()
    }

    /// The next 64 random bits.
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    /// A uniform double in [0, 1).
    package mutating func unit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }

    /// A standard normal variate (Box–Muller).
    package mutating func normal() -> Double {
        let first = max(unit(), .leastNonzeroMagnitude)
        let second = unit()
        return (-2 * log(first)).squareRoot() * cos(2 * .pi * second)
    }
}

/// How long simulated resources take to finish, drawn per resource from the seed.
package enum DurationModel: Sendable, Equatable {
    /// Always the same number of seconds.
    case fixed(Double)
    /// Uniform between two bounds.
    case uniform(Double, Double)
    /// `offset` + lognormal with the given median and σ: the steady workload is (2, 6, 0.6).
    case lognormal(offset: Double, median: Double, sigma: Double)
    /// The first model for a share `share` of resources, the second for the rest (a heavy tail, say).
    indirect case mixture(share: Double, DurationModel, DurationModel)

    /// Draws one duration.
    package func draw(_ random: inout SeededRandom) -> Double {
        switch self {
        case .fixed(let seconds): seconds
        case .uniform(let low, let high): low + (high - low) * random.unit()
        case .lognormal(let offset, let median, let sigma): offset + median * exp(sigma * random.normal())
        case .mixture(let share, let first, let second):
            random.unit() < share ? first.draw(&random) : second.draw(&random)
        }
    }
}
