/// A small deterministic generator (SplitMix64), so that tests see the same data every run.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }

    /// A standard normal draw (Box–Muller).
    public mutating func normal() -> Double {
        let u = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let v = Double.random(in: 0..<1, using: &self)
        return (-2 * logValue(u)).squareRoot() * cosValue(2 * Double.pi * v)
    }
}

/// Seeded columns with the awkward values a real stream carries: NaN (missing), ±∞,
/// exact ties and values sitting on bin edges.
public enum SeededData {
    public static func column(count: Int, seed: UInt64, specialsEvery: Int = 17, ties: [Double] = []) -> [Double] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { i in
            if specialsEvery > 0 && i % specialsEvery == 3 {
                switch (i / specialsEvery) % 3 { case 0: return .nan; case 1: return .infinity; default: return -.infinity }
            }
            if !ties.isEmpty && i % 5 == 0 { return ties[i % ties.count] }
            return g.normal() * 3 + 1
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@inline(__always) func logValue(_ x: Double) -> Double { log(x) }
@inline(__always) func cosValue(_ x: Double) -> Double { cos(x) }
