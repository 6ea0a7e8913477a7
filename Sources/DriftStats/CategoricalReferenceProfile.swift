#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a baseline keeps of one categorical feature's reference sample: the top-K categories
/// by frequency (default 1,000), one slot for the reference's other categories, one for
/// categories the reference never had ("unseen", always 0 in the reference), and the
/// missing bucket. Slots: `0..<K` the top categories, then other, unseen, missing.
public struct CategoricalReferenceProfile: Sendable, Codable, Equatable {
    /// The top-K categories, most frequent first (ties by name).
    public let categories: [String]
    /// Reference categories beyond the top K: known, so not "unseen" (kept up to
    /// `otherCategoryLimit`; past it, any unknown category counts as other).
    public let otherCategories: Set<String>
    /// Whether `otherCategories` is complete.
    public let otherCategoriesComplete: Bool
    /// Reference counts per slot.
    public let counts: [UInt64]

    public static let defaultTopK = 1000
    public static let otherCategoryLimit = 100_000

    public var otherSlot: Int { categories.count }
    public var unseenSlot: Int { categories.count + 1 }
    public var missingSlot: Int { categories.count + 2 }
    public var slotCount: Int { categories.count + 3 }

    public static func fit(frequencies: [String: UInt64], missing: UInt64, topK: Int = defaultTopK) -> CategoricalReferenceProfile {
        let ranked = frequencies.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let top = ranked.prefix(topK)
        let rest = ranked.dropFirst(topK)
        var counts = top.map(\.value)
        counts.append(rest.reduce(0) { $0 + $1.value })
        counts.append(0)
        counts.append(missing)
        return CategoricalReferenceProfile(
            categories: top.map(\.key),
            otherCategories: Set(rest.prefix(otherCategoryLimit).map(\.key)),
            otherCategoriesComplete: rest.count <= otherCategoryLimit,
            counts: counts)
    }

    /// The same categories with other reference counts per slot (the reference without one
    /// of its pieces, for reference-calibrated thresholds).
    public func withCounts(_ counts: [UInt64]) -> CategoricalReferenceProfile {
        precondition(counts.count == slotCount, "one count per slot")
        return CategoricalReferenceProfile(categories: categories, otherCategories: otherCategories,
                                           otherCategoriesComplete: otherCategoriesComplete, counts: counts)
    }

    /// Slot lookup table for the decoder: category → slot.
    public var slotsByCategory: [String: Int] {
        var table = [String: Int](minimumCapacity: categories.count + otherCategories.count)
        for (k, c) in categories.enumerated() { table[c] = k }
        for c in otherCategories { table[c] = otherSlot }
        return table
    }

    /// The slot of a category value (`nil` = missing).
    public func slot(of category: String?) -> Int {
        guard let category else { return missingSlot }
        if let k = categories.firstIndex(of: category) { return k }
        if otherCategories.contains(category) || !otherCategoriesComplete { return otherSlot }
        return unseenSlot
    }
}

/// A window's categorical feature against its reference profile.
public struct CategoricalDriftStatistics: Sendable, Codable, Equatable {
    public var count: UInt64
    /// PSI over every slot (top-K, other, unseen, missing), 1e-4 floor.
    public var psi: Double
    public var jensenShannon: Double
    /// Chi-square over the non-missing slots (Evidently's convention; unseen → p = 0).
    public var chiSquare: ChiSquareResult?
    public var unseenRate: Double
    public var missingRate: Double
    /// The largest change of one category's share of the non-missing values.
    public var maxShareChange: Double?
    /// Two-sample homogeneity of the non-missing slots: the significance of PSI, JS and
    /// share changes (``HomogeneityTest``).
    public var distributionTest: HomogeneityTest.Result?
    /// Whether one category's share changed (``ShareChangeTest``): the test of `maxShareChange`.
    public var shareChangePValue: Double?
    /// One-sided p-values that the unseen and missing rates rose (``RateIncreaseTest``).
    public var unseenIncreasePValue: Double?
    public var missingIncreasePValue: Double?

    /// `window` counts per slot of `profile` (``CategoryCounts`` over slot codes).
    public static func compute(_ window: CategoryCounts, profile: CategoricalReferenceProfile) -> CategoricalDriftStatistics {
        var current = window.counts
        if current.count < profile.slotCount { current += Array(repeating: 0, count: profile.slotCount - current.count) }
        current[profile.missingSlot] += window.missing
        let p = PopulationStabilityIndex.proportions(profile.counts), c = PopulationStabilityIndex.proportions(current)
        let nonMissing = current[..<profile.missingSlot].reduce(0, &+)
        let referenceNonMissing = profile.counts[..<profile.missingSlot].reduce(0, &+)
        let rows = nonMissing + current[profile.missingSlot]
        let total = Swift.max(Double(rows), 1)
        var maxShareChange: Double? = nil
        if nonMissing > 0, referenceNonMissing > 0 {
            var largest = 0.0
            for k in 0..<profile.missingSlot {
                largest = Swift.max(largest, Swift.abs(Double(current[k]) / Double(nonMissing) - Double(profile.counts[k]) / Double(referenceNonMissing)))
            }
            maxShareChange = largest
        }
        // Good–Turing: the reference's categories seen once estimate how often a category it
        // never saw turns up when nothing changed.
        let singletons = UInt64(profile.counts[..<profile.otherSlot].filter { $0 == 1 }.count)
        return CategoricalDriftStatistics(
            count: nonMissing,
            psi: PopulationStabilityIndex.value(reference: p, current: c),
            jensenShannon: JensenShannon.distance(p, c),
            chiSquare: ChiSquareTest.goodnessOfFit(referenceCounts: Array(profile.counts[..<profile.missingSlot]),
                                                   currentCounts: Array(current[..<profile.missingSlot])),
            unseenRate: nonMissing == 0 ? 0 : Double(current[profile.unseenSlot]) / Double(nonMissing),
            missingRate: Double(current[profile.missingSlot]) / total,
            maxShareChange: maxShareChange,
            distributionTest: HomogeneityTest.test(reference: Array(profile.counts[..<profile.missingSlot]),
                                                   current: Array(current[..<profile.missingSlot])),
            shareChangePValue: ShareChangeTest.pValue(reference: Array(profile.counts[..<profile.missingSlot]),
                                                      current: Array(current[..<profile.missingSlot])),
            unseenIncreasePValue: RateIncreaseTest.pValue(current: current[profile.unseenSlot], of: nonMissing,
                                                          reference: singletons, of: referenceNonMissing),
            missingIncreasePValue: RateIncreaseTest.pValue(current: current[profile.missingSlot], of: rows,
                                                           reference: profile.counts[profile.missingSlot], of: profile.counts.reduce(0, &+)))
    }
}
