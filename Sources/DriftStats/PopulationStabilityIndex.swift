#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Population Stability Index over frozen bins.
///
/// Convention (driftd's `psi_decile_eps1e-4`): proportions are counts / total per sample; a
/// proportion of exactly 0 in either sample is replaced by `floor` (default 1e-4) before the
/// sum, without renormalising; PSI = Σ (c − r) · ln(c / r). Numeric features use the frozen
/// reference-quantile bins; categorical features one bin per category (plus the unseen and
/// missing buckets where a baseline has them).
public enum PopulationStabilityIndex {
    public static let defaultFloor = 1e-4

    public static func value(reference: [Double], current: [Double], floor: Double = defaultFloor) -> Double {
        precondition(reference.count == current.count, "PSI needs the same bins on both sides")
        var sum = 0.0
        for (r0, c0) in zip(reference, current) {
            let r = r0 == 0 ? floor : r0
            let c = c0 == 0 ? floor : c0
            sum += (c - r) * log(c / r)
        }
        return sum
    }

    /// PSI from counts; each side's proportions are its counts over its own total.
    public static func value(referenceCounts: [UInt64], currentCounts: [UInt64], floor: Double = defaultFloor) -> Double {
        value(reference: proportions(referenceCounts), current: proportions(currentCounts), floor: floor)
    }

    /// Counts over their total; all zeros for an empty sample.
    public static func proportions(_ counts: [UInt64]) -> [Double] {
        let total = counts.reduce(0, &+)
        guard total > 0 else { return Array(repeating: 0, count: counts.count) }
        return counts.map { Double($0) / Double(total) }
    }
}

/// Jensen–Shannon distance, as `scipy.spatial.distance.jensenshannon(p, q)` with the natural
/// logarithm: both vectors are normalised to sum 1, m = (p + q)/2, and the distance is
/// √((KL(p‖m) + KL(q‖m)) / 2), where a term with p_i = 0 contributes 0. No zero replacement.
/// Between 0 and √ln 2 ≈ 0.8326.
public enum JensenShannon {
    public static func distance(_ p0: [Double], _ q0: [Double]) -> Double {
        precondition(p0.count == q0.count, "Jensen-Shannon needs the same bins on both sides")
        let ps = p0.reduce(0, +), qs = q0.reduce(0, +)
        guard ps > 0, qs > 0 else { return .nan }
        var left = 0.0, right = 0.0
        for (a, b) in zip(p0, q0) {
            let p = a / ps, q = b / qs
            let m = (p + q) / 2
            left += relativeEntropyTerm(p, m)
            right += relativeEntropyTerm(q, m)
        }
        let js = (left + right) / 2
        return Swift.max(js, 0).squareRoot()
    }

    /// scipy.special.rel_entr(x, y): x·ln(x/y) for x, y > 0; 0 for x = 0.
    @inline(__always) static func relativeEntropyTerm(_ x: Double, _ y: Double) -> Double {
        if x > 0 && y > 0 { return x * log(x / y) }
        if x == 0 && y >= 0 { return 0 }
        return .infinity
    }
}
