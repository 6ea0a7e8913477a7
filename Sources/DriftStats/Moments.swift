#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Count, mean, sum of squared deviations (M2), minimum and maximum of the finite values
/// seen. Panes merge in any order with Chan et al.'s parallel update, so a window is the
/// merge of its panes and partitions merge into one.
///
/// NaN (missing) and ±∞ are skipped here; they are counted by ``DataQualityCounts``.
public struct Moments: Sendable, Codable, Equatable, Hashable {
    public private(set) var count: UInt64
    public private(set) var mean: Double
    public private(set) var m2: Double
    public private(set) var min: Double
    public private(set) var max: Double

    public static let zero = Moments(count: 0, mean: 0, m2: 0, min: .infinity, max: -.infinity)

    public init(count: UInt64, mean: Double, m2: Double, min: Double, max: Double) {
        self.count = count; self.mean = mean; self.m2 = m2; self.min = min; self.max = max
    }

    /// Population variance (ddof 0), as `numpy.std` uses; 0 when empty.
    public var populationVariance: Double { count == 0 ? 0 : m2 / Double(count) }
    public var populationStandardDeviation: Double { populationVariance.squareRoot() }
    /// Sample variance (ddof 1); 0 with fewer than two values.
    public var sampleVariance: Double { count < 2 ? 0 : m2 / Double(count - 1) }

    /// Welford's update, one value at a time: the reference for ``add(_:)``.
    public mutating func addScalar(_ column: UnsafeBufferPointer<Double>) {
        for x in column where x.isFinite {
            count += 1
            let d = x - mean
            mean += d / Double(count)
            m2 += d * (x - mean)
            if x < min { min = x }
            if x > max { max = x }
        }
    }

    /// Two vector passes over the column (sum and count, then squared deviations from the
    /// column's mean, with min and max), merged into `self` with Chan's formula.
    public mutating func add(_ column: UnsafeBufferPointer<Double>) {
        guard let base = column.baseAddress, column.count > 0 else { return }
        let raw = UnsafeRawPointer(base)
        let lanes = 8
        let vectorCount = column.count / lanes * lanes
        let infinity = SIMD8<Double>(repeating: .infinity)
        let zeros = SIMD8<Double>(repeating: 0)
        var sum = zeros, n = SIMD8<Int64>(repeating: 0)
        var low = infinity, high = -infinity
        var i = 0
        while i < vectorCount {
            let v = raw.loadUnaligned(fromByteOffset: i &* 8, as: SIMD8<Double>.self)
            // finite ⇔ v == v (not NaN) and |v| < ∞
            let finite = (v .== v) .& (v .!= infinity) .& (v .!= -infinity)
            sum += zeros.replacing(with: v, where: finite)
            n &-= unsafeBitCast(finite, to: SIMD8<Int64>.self)
            low = low.replacing(with: v, where: finite .& (v .< low))
            high = high.replacing(with: v, where: finite .& (v .> high))
            i &+= lanes
        }
        var total = sum.sum()
        var chunkCount = UInt64(n.wrappedSum())
        var chunkMin = low.min(), chunkMax = high.max()
        for x in column[vectorCount...] where x.isFinite {
            total += x; chunkCount += 1
            if x < chunkMin { chunkMin = x }
            if x > chunkMax { chunkMax = x }
        }
        guard chunkCount > 0 else { return }
        let chunkMean = total / Double(chunkCount)
        let center = SIMD8<Double>(repeating: chunkMean)
        var squares = zeros
        i = 0
        while i < vectorCount {
            let v = raw.loadUnaligned(fromByteOffset: i &* 8, as: SIMD8<Double>.self)
            let finite = (v .== v) .& (v .!= infinity) .& (v .!= -infinity)
            let d = zeros.replacing(with: v - center, where: finite)
            squares += d * d
            i &+= lanes
        }
        var chunkM2 = squares.sum()
        for x in column[vectorCount...] where x.isFinite {
            let d = x - chunkMean
            chunkM2 += d * d
        }
        merge(Moments(count: chunkCount, mean: chunkMean, m2: chunkM2, min: chunkMin, max: chunkMax))
    }

    public mutating func merge(_ other: Moments) { self = merged(with: other) }

    // Codable by hand: an empty accumulator's min and max are ±∞, which JSON cannot carry,
    // so they are left out while the count is 0.
    private enum CodingKeys: String, CodingKey { case count, mean, m2, min, max }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        count = try c.decode(UInt64.self, forKey: .count)
        mean = try c.decode(Double.self, forKey: .mean)
        m2 = try c.decode(Double.self, forKey: .m2)
        min = try c.decodeIfPresent(Double.self, forKey: .min) ?? .infinity
        max = try c.decodeIfPresent(Double.self, forKey: .max) ?? -.infinity
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(count, forKey: .count)
        try c.encode(mean, forKey: .mean)
        try c.encode(m2, forKey: .m2)
        if count > 0 {
            try c.encode(min, forKey: .min)
            try c.encode(max, forKey: .max)
        }
    }

    public func merged(with other: Moments) -> Moments {
        if other.count == 0 { return self }
        if count == 0 { return other }
        let total = count + other.count
        let n = Double(total), na = Double(count), nb = Double(other.count)
        let delta = other.mean - mean
        return Moments(count: total,
                       mean: mean + delta * nb / n,
                       m2: m2 + other.m2 + delta * delta * na * nb / n,
                       min: Swift.min(min, other.min),
                       max: Swift.max(max, other.max))
    }
}
