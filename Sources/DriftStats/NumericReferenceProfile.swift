#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a baseline keeps of one numeric feature's reference sample, so that windows can be
/// compared with it without the raw values: frozen PSI bins with the reference's counts,
/// a fine grid of its CDF, its moments and its data quality.
public struct NumericReferenceProfile: Sendable, Codable, Equatable {
    public let binning: NumericBinning
    /// Reference values per PSI bin, then the missing bucket.
    public let binCounts: [UInt64]
    public let grid: ReferenceGrid
    public let moments: Moments
    public let quality: DataQualityCounts

    /// Fits the profile on a reference column (NaN marks a missing value; ±∞ are counted as
    /// non-finite and left out). `nil` when the column has no finite value.
    public static func fit(_ column: [Double], bins: Int = NumericBinning.defaultBinCount,
                           gridPoints: Int = ReferenceGrid.defaultPointCount) -> NumericReferenceProfile? {
        let sorted = RadixSort.sortedFiniteValues(column)
        guard let low = sorted.first, let high = sorted.last else { return nil }
        let binning = NumericBinning.quantile(sortedReference: sorted, bins: bins)
        var histogram = HistogramAccumulator.zero(binCount: binning.binCount)
        histogram.add(column, edges: binning.edges)
        var moments = Moments.zero
        var quality = DataQualityCounts.zero
        column.withUnsafeBufferPointer { c in
            moments.add(c)
            quality.add(c, referenceRange: low...high)
        }
        return NumericReferenceProfile(
            binning: binning, binCounts: histogram.counts + [histogram.missing],
            grid: ReferenceGrid.fit(sortedReference: sorted, pointCount: gridPoints),
            moments: moments, quality: quality)
    }

    /// An empty accumulator for windows compared with this profile.
    public var emptyAccumulator: NumericAccumulator {
        NumericAccumulator(psi: .zero(binCount: binning.binCount), grid: .zero(binCount: grid.cellCount),
                           moments: .zero, quality: .zero)
    }
}

/// Everything a window (or a pane of one) keeps of a numeric feature: PSI-bin counts,
/// fine-grid counts, moments and data quality. Mergeable, so windows are merges of panes.
public struct NumericAccumulator: Sendable, Codable, Equatable {
    public private(set) var psi: HistogramAccumulator
    public private(set) var grid: HistogramAccumulator
    /// Blocked, so the result does not depend on how the stream was batched.
    public private(set) var blockedMoments: BlockedMoments
    public private(set) var quality: DataQualityCounts

    public var moments: Moments { blockedMoments.moments }

    public init(psi: HistogramAccumulator, grid: HistogramAccumulator, moments: BlockedMoments, quality: DataQualityCounts) {
        self.psi = psi; self.grid = grid; self.blockedMoments = moments; self.quality = quality
    }

    /// Adds a column of values (NaN = missing); every pass is a SIMD kernel.
    public mutating func add(_ column: UnsafeBufferPointer<Double>, profile: NumericReferenceProfile) {
        profile.binning.edges.withUnsafeBufferPointer { psi.add(column, edges: $0) }
        profile.grid.points.withUnsafeBufferPointer { grid.add(column, edges: $0) }
        blockedMoments.add(column)
        quality.add(column, referenceRange: profile.grid.referenceMinimum...profile.grid.referenceMaximum)
    }

    /// Values of the wrong type the decoder saw for this feature: they are in the column as
    /// NaN (so counted as missing); they move from missing to type errors.
    public mutating func addTypeErrors(_ n: UInt64) {
        quality.recordTypeErrors(n)
    }

    public mutating func merge(_ o: NumericAccumulator) {
        psi.merge(o.psi); grid.merge(o.grid); blockedMoments = blockedMoments.merged(with: o.blockedMoments); quality.merge(o.quality)
    }

    public func merged(with o: NumericAccumulator) -> NumericAccumulator { var r = self; r.merge(o); return r }
}

/// A window's numeric feature against its reference profile.
public struct NumericDriftStatistics: Sendable, Codable, Equatable {
    public var count: UInt64
    /// PSI over the frozen bins plus the missing bucket, 1e-4 floor.
    public var psi: Double
    public var jensenShannon: Double
    /// KS on the fine grid, with its error bound.
    public var ks: GridKSResult?
    /// Wasserstein-1 from the grid, normalised by max(reference sd, 0.001).
    public var wassersteinNormed: Double?
    /// (current mean − reference mean) / reference sd (ddof 0; 0.001 floor).
    public var meanShift: Double?
    public var missingRate: Double
    public var outsideReferenceRangeRate: Double
    public var typeErrorRate: Double
    public var nonFiniteRate: Double
    /// Two-sample homogeneity of the PSI bins and missing bucket: the significance of PSI
    /// and Jensen–Shannon (``HomogeneityTest``).
    public var distributionTest: HomogeneityTest.Result?
    /// One-sided p-values that the missing, type-error and outside-range rates rose
    /// (``RateIncreaseTest``), and the two-sided Welch p-value of the mean's change.
    public var missingIncreasePValue: Double?
    public var typeErrorIncreasePValue: Double?
    public var outsideRangeIncreasePValue: Double?
    public var meanShiftPValue: Double?

    public init(count: UInt64, psi: Double, jensenShannon: Double, ks: GridKSResult?, wassersteinNormed: Double?, meanShift: Double?,
                missingRate: Double, outsideReferenceRangeRate: Double, typeErrorRate: Double, nonFiniteRate: Double) {
        self.count = count; self.psi = psi; self.jensenShannon = jensenShannon; self.ks = ks
        self.wassersteinNormed = wassersteinNormed; self.meanShift = meanShift; self.missingRate = missingRate
        self.outsideReferenceRangeRate = outsideReferenceRangeRate; self.typeErrorRate = typeErrorRate; self.nonFiniteRate = nonFiniteRate
    }

    public static func compute(_ window: NumericAccumulator, profile: NumericReferenceProfile) -> NumericDriftStatistics {
        let q = window.quality
        let total = Swift.max(Double(q.total), 1)
        let referenceBuckets = profile.binCounts
        let currentBuckets = window.psi.counts + [window.psi.missing]
        let p = PopulationStabilityIndex.proportions(referenceBuckets), c = PopulationStabilityIndex.proportions(currentBuckets)
        let sd = Swift.max(profile.moments.populationStandardDeviation, 0.001)
        let moments = window.moments
        let w = GridStatistics.wasserstein(grid: profile.grid, currentCounts: window.grid.counts,
                                           currentMinimum: moments.min, currentMaximum: moments.max)
        var result = NumericDriftStatistics(
            count: moments.count,
            psi: PopulationStabilityIndex.value(reference: p, current: c),
            jensenShannon: JensenShannon.distance(p, c),
            ks: GridStatistics.kolmogorovSmirnov(grid: profile.grid, currentCounts: window.grid.counts),
            wassersteinNormed: w.map { $0 / sd },
            meanShift: moments.count > 0 ? (moments.mean - profile.moments.mean) / sd : nil,
            missingRate: Double(q.missing) / total,
            outsideReferenceRangeRate: Double(q.outsideReferenceRange) / total,
            typeErrorRate: Double(q.typeErrors) / total,
            nonFiniteRate: Double(q.nonFinite) / total)
        let reference = profile.quality
        result.distributionTest = HomogeneityTest.test(reference: referenceBuckets, current: currentBuckets)
        result.missingIncreasePValue = RateIncreaseTest.pValue(current: q.missing, of: q.total, reference: reference.missing, of: reference.total)
        result.typeErrorIncreasePValue = RateIncreaseTest.pValue(current: q.typeErrors, of: q.total, reference: reference.typeErrors, of: reference.total)
        result.outsideRangeIncreasePValue = RateIncreaseTest.pValue(current: q.outsideReferenceRange, of: q.total,
                                                                    reference: reference.outsideReferenceRange, of: reference.total)
        if moments.count >= 2, profile.moments.count >= 2 {
            result.meanShiftPValue = WelchTest.pValue(currentMean: moments.mean, currentVariance: moments.sampleVariance, currentCount: Double(moments.count),
                                                      referenceMean: profile.moments.mean, referenceVariance: profile.moments.sampleVariance,
                                                      referenceCount: Double(profile.moments.count), twoSided: true)
        }
        return result
    }
}

extension NumericReferenceProfile {
    /// The profile of the reference without one piece of it (its values counted in `piece`,
    /// `restMoments` the moments of the values left): the same bins and grid, the piece's
    /// counts taken out, so a piece of the reference is never judged against itself.
    public func leavingOut(_ piece: NumericAccumulator, restMoments: Moments) -> NumericReferenceProfile {
        let pieceBuckets = piece.psi.counts + [piece.psi.missing]
        var restQuality = quality
        restQuality.subtract(piece.quality)
        let restGrid = ReferenceGrid(points: grid.points, referenceCounts: zip(grid.referenceCounts, piece.grid.counts).map { $0 &- Swift.min($0, $1) },
                                     referenceMinimum: grid.referenceMinimum, referenceMaximum: grid.referenceMaximum, exactValues: grid.exactValues)
        return NumericReferenceProfile(binning: binning, binCounts: zip(binCounts, pieceBuckets).map { $0 &- Swift.min($0, $1) },
                                       grid: restGrid, moments: restMoments, quality: restQuality)
    }
}
