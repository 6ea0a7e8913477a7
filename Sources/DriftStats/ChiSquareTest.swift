#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The result of a chi-square goodness-of-fit test of current category counts against the
/// reference's frequencies.
public struct ChiSquareResult: Sendable, Codable, Equatable, Hashable {
    /// Σ (observed − expected)² / expected; +∞ when a category unseen in the reference occurs.
    public var statistic: Double
    public var pValue: Double
    public var degreesOfFreedom: Int
    /// Categories present in the current sample that the reference never had.
    public var unseenCategories: Int

    public init(statistic: Double, pValue: Double, degreesOfFreedom: Int, unseenCategories: Int) {
        self.statistic = statistic; self.pValue = pValue; self.degreesOfFreedom = degreesOfFreedom; self.unseenCategories = unseenCategories
    }

    // JSON has no infinity: an infinite statistic (unseen categories) is encoded as null.
    private enum CodingKeys: String, CodingKey { case statistic, pValue, degreesOfFreedom, unseenCategories }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        statistic = try c.decodeIfPresent(Double.self, forKey: .statistic) ?? .infinity
        pValue = try c.decode(Double.self, forKey: .pValue)
        degreesOfFreedom = try c.decode(Int.self, forKey: .degreesOfFreedom)
        unseenCategories = try c.decode(Int.self, forKey: .unseenCategories)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(statistic.isFinite ? statistic : nil, forKey: .statistic)
        try c.encode(pValue, forKey: .pValue)
        try c.encode(degreesOfFreedom, forKey: .degreesOfFreedom)
        try c.encode(unseenCategories, forKey: .unseenCategories)
    }
}

/// Chi-square test with Evidently's convention (`chisquare_stattest`): over the categories of
/// reference ∪ current, observed = current counts, expected = reference counts · (n_cur / n_ref),
/// and the p-value is `scipy.stats.chisquare(observed, expected).pvalue` =
/// `chi2.sf(statistic, k − 1)`.
///
/// Categories unseen in the reference are explicit, not a numerical accident: their expected
/// count is 0, so the statistic is +∞ and the p-value is exactly 0 — a new category is drift.
/// With a single category there is nothing to test: statistic 0, p = 1.
public enum ChiSquareTest {
    /// `referenceCounts[i]` and `currentCounts[i]` count the same category.
    /// `nil` when either sample is empty.
    public static func goodnessOfFit(referenceCounts: [UInt64], currentCounts: [UInt64]) -> ChiSquareResult? {
        precondition(referenceCounts.count == currentCounts.count, "chi-square needs the same categories on both sides")
        let nRef = referenceCounts.reduce(0, &+), nCur = currentCounts.reduce(0, &+)
        guard nRef > 0, nCur > 0 else { return nil }
        var categories = 0, unseen = 0
        for (r, c) in zip(referenceCounts, currentCounts) where r > 0 || c > 0 {
            categories += 1
            if r == 0 { unseen += 1 }
        }
        let dof = categories - 1
        guard dof > 0 else { return ChiSquareResult(statistic: 0, pValue: 1, degreesOfFreedom: 0, unseenCategories: unseen) }
        if unseen > 0 {
            return ChiSquareResult(statistic: .infinity, pValue: 0, degreesOfFreedom: dof, unseenCategories: unseen)
        }
        let scale = Double(nCur) / Double(nRef)
        var statistic = 0.0
        for (r, c) in zip(referenceCounts, currentCounts) where r > 0 || c > 0 {
            let expected = Double(r) * scale
            let d = Double(c) - expected
            statistic += d * d / expected
        }
        let p = ChiSquareDistribution.survival(statistic, degreesOfFreedom: Double(dof))
        return ChiSquareResult(statistic: statistic, pValue: p, degreesOfFreedom: dof, unseenCategories: 0)
    }
}
