#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Evidently's own binning for PSI and Jensen–Shannon (evidently 0.7.23,
/// `legacy/calculations/stattests/utils.get_binned_data`), so that users moving from
/// Evidently can reproduce its numbers with `driftd compare --binning evidently`.
///
/// - A numeric feature whose reference has more than 20 distinct values is binned by
///   `numpy.histogram_bin_edges(concat(ref, cur), bins="sturges")`: equal-width bins over
///   both samples together, counted as `numpy.histogram` does (last bin closed).
/// - Otherwise one bin per distinct value of ref ∪ cur.
/// - For PSI (not for JS) a zero proportion becomes min(non-zero)/10⁶ when min(non-zero) ≤ 1e-4,
///   else 1e-4, separately for each sample.
public enum EvidentlyBinning {
    public static let distinctValueLimit = 20

    /// Proportions per bin for two sorted, finite, non-empty numeric samples.
    public static func numericProportions(sortedReference a: [Double], sortedCurrent b: [Double]) -> (reference: [Double], current: [Double]) {
        if distinctCount(a) > distinctValueLimit {
            let edges = sturgesEdges(sortedReference: a, sortedCurrent: b)
            return (histogram(sorted: a, edges: edges).map { Double($0) / Double(a.count) },
                    histogram(sorted: b, edges: edges).map { Double($0) / Double(b.count) })
        }
        // One bin per distinct value of ref ∪ cur.
        var keys = Array(Set(a).union(b)); keys.sort()
        func counts(_ s: [Double]) -> [Double] {
            var c = [UInt64](repeating: 0, count: keys.count)
            var k = 0
            for v in s { while keys[k] < v { k += 1 }; c[k] += 1 }
            return c.map { Double($0) / Double(s.count) }
        }
        return (counts(a), counts(b))
    }

    /// `numpy.histogram_bin_edges(values, bins="sturges")` for the union of two sorted samples:
    /// width = ptp / (log₂ n + 1), bins = ⌈ptp / width⌉ (1 when the width is 0), edges =
    /// `linspace(min, max, bins + 1)`, and an empty range widened to [min − 0.5, max + 0.5].
    public static func sturgesEdges(sortedReference a: [Double], sortedCurrent b: [Double]) -> [Double] {
        let lo = Swift.min(a.first!, b.first!), hi = Swift.max(a.last!, b.last!)
        let n = Double(a.count + b.count)
        var first = lo, last = hi
        if first == last { first -= 0.5; last += 0.5 }
        let width = (hi - lo) / (log2(n) + 1.0)
        let bins = width != 0 ? Int(((last - first) / width).rounded(.up)) : 1
        return Quantiles.linspace(first, last, count: bins + 1)
    }

    /// `numpy.histogram(sorted, bins=edges)[0]`: bin i is [e_i, e_{i+1}), the last is closed.
    public static func histogram(sorted: [Double], edges: [Double]) -> [UInt64] {
        func countBelow(_ x: Double) -> Int {  // searchsorted(x, side="left")
            var low = 0, high = sorted.count
            while low < high { let mid = (low + high) / 2; if sorted[mid] < x { low = mid + 1 } else { high = mid } }
            return low
        }
        func countAtOrBelow(_ x: Double) -> Int {  // searchsorted(x, side="right")
            var low = 0, high = sorted.count
            while low < high { let mid = (low + high) / 2; if sorted[mid] <= x { low = mid + 1 } else { high = mid } }
            return low
        }
        var cumulative = edges.dropLast().map(countBelow)
        cumulative.append(countAtOrBelow(edges.last!))
        return zip(cumulative, cumulative.dropFirst()).map { UInt64($1 - $0) }
    }

    /// Evidently's zero replacement for PSI (`feel_zeroes=True`).
    public static func fillingZeroes(_ p: [Double]) -> [Double] {
        guard let smallest = p.filter({ $0 != 0 }).min() else { return p }
        let replacement = smallest <= 1e-4 ? smallest / 1e6 : 1e-4
        return p.map { $0 == 0 ? replacement : $0 }
    }

    /// Evidently's PSI: Σ (r − c) · ln(r / c) after ``fillingZeroes(_:)``.
    public static func psi(reference: [Double], current: [Double]) -> Double {
        let r = fillingZeroes(reference), c = fillingZeroes(current)
        var sum = 0.0
        for (x, y) in zip(r, c) { sum += (x - y) * log(x / y) }
        return sum
    }

    static func distinctCount(_ sorted: [Double]) -> Int {
        guard !sorted.isEmpty else { return 0 }
        var n = 1
        for i in 1..<sorted.count where sorted[i] != sorted[i - 1] { n += 1 }
        return n
    }
}
