#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The result of a two-sample Kolmogorov–Smirnov test.
public struct KSResult: Sendable, Codable, Equatable, Hashable {
    /// D = sup |F_ref − F_cur|.
    public var statistic: Double
    public var pValue: Double
    /// The method that produced the p-value (`exact` or `asymp`, never `auto`).
    public var method: KSMethod
}

/// Two-sample Kolmogorov–Smirnov test on raw samples, as `scipy.stats.ks_2samp`
/// (two-sided): D is the largest of `cdf₁(x) − cdf₂(x)` and `−(cdf₁(x) − cdf₂(x))` over
/// every value x of both samples, with `cdf(x) = #{v ≤ x} / n`; the p-value follows
/// ``KolmogorovSmirnovDistribution/twoSamplePValue(statistic:n1:n2:method:)``.
public enum KolmogorovSmirnov {
    /// The test on two sorted, finite, non-empty samples; `nil` if either is empty.
    public static func twoSample(sortedReference a: UnsafeBufferPointer<Double>,
                                 sortedCurrent b: UnsafeBufferPointer<Double>,
                                 method: KSMethod = .auto) -> KSResult? {
        guard !a.isEmpty, !b.isEmpty else { return nil }
        let d = statistic(sortedReference: a, sortedCurrent: b)
        let r = KolmogorovSmirnovDistribution.twoSamplePValue(statistic: d, n1: a.count, n2: b.count, method: method)
        return KSResult(statistic: r.statistic, pValue: r.pValue, method: r.method)
    }

    public static func twoSample(sortedReference a: [Double], sortedCurrent b: [Double], method: KSMethod = .auto) -> KSResult? {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in twoSample(sortedReference: pa, sortedCurrent: pb, method: method) } }
    }

    /// D by one merge walk over both sorted samples: the difference of the two empirical
    /// CDFs is evaluated after each distinct value, computed as scipy does
    /// (`i/n₁ − j/n₂`), so D matches scipy's to the last bit.
    public static func statistic(sortedReference a: UnsafeBufferPointer<Double>,
                                 sortedCurrent b: UnsafeBufferPointer<Double>) -> Double {
        let n1 = a.count, n2 = b.count
        let d1 = Double(n1), d2 = Double(n2)
        var i = 0, j = 0
        var maxDiff = -Double.infinity, minDiff = Double.infinity
        while i < n1 || j < n2 {
            let x: Double
            if j >= n2 || (i < n1 && a[i] <= b[j]) { x = a[i] } else { x = b[j] }
            while i < n1 && a[i] <= x { i += 1 }
            while j < n2 && b[j] <= x { j += 1 }
            let diff = Double(i) / d1 - Double(j) / d2
            if diff > maxDiff { maxDiff = diff }
            if diff < minDiff { minDiff = diff }
        }
        let minS = Swift.min(Swift.max(-minDiff, 0), 1)
        return minS > maxDiff ? minS : maxDiff
    }
}

/// Wasserstein-1 distance between two samples, as `scipy.stats.wasserstein_distance`:
/// ∫ |F₁ − F₂| dx over the merged sorted values.
public enum Wasserstein {
    public static func distance(sortedReference a: UnsafeBufferPointer<Double>,
                                sortedCurrent b: UnsafeBufferPointer<Double>) -> Double {
        let n1 = a.count, n2 = b.count
        guard n1 > 0, n2 > 0 else { return .nan }
        let d1 = Double(n1), d2 = Double(n2)
        var i = 0, j = 0
        var sum = 0.0
        var previous: Double? = nil
        var previousDiff = 0.0
        while i < n1 || j < n2 {
            let x: Double
            if j >= n2 || (i < n1 && a[i] <= b[j]) { x = a[i] } else { x = b[j] }
            if let p = previous { sum += previousDiff * (x - p) }
            while i < n1 && a[i] <= x { i += 1 }
            while j < n2 && b[j] <= x { j += 1 }
            previousDiff = Swift.abs(Double(i) / d1 - Double(j) / d2)
            previous = x
        }
        return sum
    }

    public static func distance(sortedReference a: [Double], sortedCurrent b: [Double]) -> Double {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in distance(sortedReference: pa, sortedCurrent: pb) } }
    }

    /// Evidently's normalisation: W1 / max(population sd of the reference, 0.001).
    public static func normalised(_ distance: Double, referenceStandardDeviation sd: Double) -> Double {
        distance / Swift.max(sd, 0.001)
    }
}
