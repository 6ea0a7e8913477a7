import DriftStats

/// How `compare` bins values for PSI and Jensen–Shannon.
public enum BinningMode: String, Sendable, Codable, CaseIterable {
    /// driftd's frozen reference-quantile bins (categoricals: one bin per category seen in
    /// either sample), plus a missing bucket.
    case quantile
    /// Evidently's bins (``EvidentlyBinning``), to reproduce its numbers.
    case evidently
}

public struct ComparisonOptions: Sendable {
    public var bins = NumericBinning.defaultBinCount
    public var binning = BinningMode.quantile
    public var ksMethod = KSMethod.auto
    public var thresholds = DriftThresholds()
    /// Kinds forced by the user, overriding inference from the reference.
    public var kindOverrides: [String: FeatureKind] = [:]
    /// Fewer usable values than this on either side gives "insufficient data", not a verdict
    /// on the distribution (the default is the streaming windows' `min_samples`).
    public var minimumSamples = WindowConfiguration.defaultMinimumSamples
    /// Drift when the missing rate rose by at least this much over the reference's and the
    /// rise is significant (p < `thresholds.pValue`): the `missing_values` rule's warn level.
    /// It needs no values, so a feature that went all null drifts.
    public var missingRateIncrease = 0.05

    public init() {}
}

/// Everything `compare` reports for one feature.
public struct FeatureComparison: Sendable, Equatable {
    public var name: String
    public var kind: FeatureKind
    /// Values used by the statistics (finite numbers, or categories), per side.
    public var referenceCount: Int
    public var currentCount: Int
    public var psi: Double?
    public var ks: KSResult?
    public var jensenShannon: Double?
    public var wassersteinNormed: Double?
    public var chiSquare: ChiSquareResult?
    /// Share of the current rows where the feature was null or absent.
    public var missingRate: Double
    /// Share of the current non-missing values that are categories the reference never had.
    public var unseenRate: Double?
    /// Share of the current rows whose value had the wrong type for the feature's kind.
    public var typeErrorRate: Double
    /// True when either side had fewer values than the minimum: no verdict on the
    /// distribution (the missing rate is still judged).
    public var insufficientData: Bool
    public var drift: Bool
}

public struct ComparisonReport: Sendable, Equatable {
    public var features: [FeatureComparison]
    public init(features: [FeatureComparison]) { self.features = features }
    public var drift: Bool { features.contains { $0.drift } }
    /// Some feature could not be judged (too few values) and none drifted: the comparison
    /// cannot say "no drift".
    public var undecided: Bool { !drift && features.contains { $0.insufficientData } }
}

/// Compares two whole samples feature by feature. Pure: no I/O.
public enum Comparison {
    /// Features to compare: every feature of the reference, in the order first seen.
    public static func featureNames(reference: SampleTable) -> [String] { reference.featureNames }

    public static func compare(reference: SampleTable, current: SampleTable, options: ComparisonOptions) -> ComparisonReport {
        ComparisonReport(features: featureNames(reference: reference).map {
            compareFeature($0, reference: reference, current: current, options: options)
        })
    }

    public static func compareFeature(_ name: String, reference: SampleTable, current: SampleTable,
                                      options: ComparisonOptions) -> FeatureComparison {
        let empty = SampleColumn()
        let ref = reference.column(named: name) ?? empty
        let cur = current.column(named: name) ?? emptyColumn(rows: current.rowCount)
        let kind = options.kindOverrides[name] ?? ref.inferredKind ?? cur.inferredKind ?? .numeric
        switch kind {
        case .numeric: return compareNumeric(name, ref, cur, options)
        case .categorical: return compareCategorical(name, ref, cur, options)
        }
    }

    static func emptyColumn(rows: Int) -> SampleColumn {
        var c = SampleColumn()
        c.numbers = Array(repeating: .nan, count: rows)
        c.missingCount = rows
        return c
    }

    /// Whether the share of null or absent values rose by at least `missingRateIncrease`,
    /// significantly (exact conditional binomial, as the streaming `missing_values` rule).
    static func missingRateRose(_ ref: SampleColumn, _ cur: SampleColumn, _ options: ComparisonOptions) -> Bool {
        let refRows = Swift.max(ref.rowCount, 1), curRows = Swift.max(cur.rowCount, 1)
        let increase = Double(cur.missingCount) / Double(curRows) - Double(ref.missingCount) / Double(refRows)
        guard increase >= options.missingRateIncrease else { return false }
        let p = RateIncreaseTest.pValue(current: UInt64(cur.missingCount), of: UInt64(curRows),
                                        reference: UInt64(ref.missingCount), of: UInt64(refRows))
        return p < options.thresholds.pValue
    }

    // MARK: numeric

    static func compareNumeric(_ name: String, _ ref: SampleColumn, _ cur: SampleColumn, _ options: ComparisonOptions) -> FeatureComparison {
        let a = RadixSort.sortedFiniteValues(ref.numbers)
        let b = RadixSort.sortedFiniteValues(cur.numbers)
        let rows = Swift.max(cur.rowCount, 1)
        var result = FeatureComparison(
            name: name, kind: .numeric, referenceCount: a.count, currentCount: b.count,
            missingRate: Double(cur.missingCount) / Double(rows), unseenRate: nil,
            typeErrorRate: Double(cur.textCount + cur.otherCount) / Double(rows),
            insufficientData: false, drift: false)
        let missingDrift = missingRateRose(ref, cur, options)
        guard a.count >= options.minimumSamples, b.count >= options.minimumSamples, !a.isEmpty, !b.isEmpty else {
            result.insufficientData = true
            result.drift = missingDrift
            return result
        }
        switch options.binning {
        case .quantile:
            let binning = NumericBinning.quantile(sortedReference: a, bins: options.bins)
            var refHistogram = HistogramAccumulator.zero(binCount: binning.binCount)
            var curHistogram = HistogramAccumulator.zero(binCount: binning.binCount)
            refHistogram.add(ref.numbers, edges: binning.edges)
            curHistogram.add(cur.numbers, edges: binning.edges)
            // Bins plus the missing bucket (null or absent rows), over all rows with either.
            let refBuckets = refHistogram.counts + [UInt64(ref.missingCount)]
            let curBuckets = curHistogram.counts + [UInt64(cur.missingCount)]
            let p = PopulationStabilityIndex.proportions(refBuckets), q = PopulationStabilityIndex.proportions(curBuckets)
            result.psi = PopulationStabilityIndex.value(reference: p, current: q)
            result.jensenShannon = JensenShannon.distance(p, q)
        case .evidently:
            let (p, q) = EvidentlyBinning.numericProportions(sortedReference: a, sortedCurrent: b)
            result.psi = EvidentlyBinning.psi(reference: p, current: q)
            result.jensenShannon = JensenShannon.distance(p, q)
        }
        result.ks = KolmogorovSmirnov.twoSample(sortedReference: a, sortedCurrent: b, method: options.ksMethod)
        var moments = Moments.zero
        a.withUnsafeBufferPointer { moments.add($0) }
        result.wassersteinNormed = Wasserstein.normalised(
            Wasserstein.distance(sortedReference: a, sortedCurrent: b),
            referenceStandardDeviation: moments.populationStandardDeviation)
        result.drift = missingDrift || options.thresholds.numericDrift(psi: result.psi!, ks: result.ks)
        return result
    }

    // MARK: categorical

    static func compareCategorical(_ name: String, _ ref: SampleColumn, _ cur: SampleColumn, _ options: ComparisonOptions) -> FeatureComparison {
        // One bin per category of either side, keyed by text; numbers become text ("3", "2.5").
        var keys = ByteInterner()
        let refCounts = categoryCounts(ref, into: &keys)
        var curCounts = categoryCounts(cur, into: &keys)
        var refPadded = refCounts.counts + Array(repeating: 0, count: keys.count - refCounts.counts.count)
        curCounts = CategoryCounts(counts: curCounts.counts + Array(repeating: 0, count: keys.count - curCounts.counts.count), missing: curCounts.missing)
        let nRef = Int(refPadded.reduce(0, &+)), nCur = Int(curCounts.total)
        let rows = Swift.max(cur.rowCount, 1)
        var result = FeatureComparison(
            name: name, kind: .categorical, referenceCount: nRef, currentCount: nCur,
            missingRate: Double(cur.missingCount) / Double(rows), unseenRate: nil,
            typeErrorRate: Double(cur.otherCount) / Double(rows), insufficientData: false, drift: false)
        let missingDrift = missingRateRose(ref, cur, options)
        guard nRef >= options.minimumSamples, nCur >= options.minimumSamples, nRef > 0, nCur > 0 else {
            result.insufficientData = true
            result.drift = missingDrift
            return result
        }
        var unseen: UInt64 = 0
        for (r, c) in zip(refPadded, curCounts.counts) where r == 0 { unseen += c }
        result.unseenRate = Double(unseen) / Double(nCur)
        result.chiSquare = ChiSquareTest.goodnessOfFit(referenceCounts: refPadded, currentCounts: curCounts.counts)
        switch options.binning {
        case .quantile:
            refPadded.append(UInt64(ref.missingCount))
            let curBuckets = curCounts.counts + [UInt64(cur.missingCount)]
            let p = PopulationStabilityIndex.proportions(refPadded), q = PopulationStabilityIndex.proportions(curBuckets)
            result.psi = PopulationStabilityIndex.value(reference: p, current: q)
            result.jensenShannon = JensenShannon.distance(p, q)
        case .evidently:
            let p = PopulationStabilityIndex.proportions(refPadded), q = PopulationStabilityIndex.proportions(curCounts.counts)
            result.psi = EvidentlyBinning.psi(reference: p, current: q)
            result.jensenShannon = JensenShannon.distance(p, q)
        }
        result.drift = missingDrift || options.thresholds.categoricalDrift(psi: result.psi!, chiSquare: result.chiSquare,
                                                           jensenShannon: result.jensenShannon!, unseenRate: result.unseenRate!)
        return result
    }

    /// Counts of a column's values by category key (text values and numbers as text).
    static func categoryCounts(_ column: SampleColumn, into keys: inout ByteInterner) -> CategoryCounts {
        let recode = (0..<column.categories.count).map { keys.intern(column.categories.key(Int32($0))) }
        var numberCodes: [Double: Int32] = [:]
        var codes = [Int32]()
        codes.reserveCapacity(column.rowCount)
        for row in 0..<column.rowCount {
            let v = column.numbers[row]
            if !v.isNaN {
                if let c = numberCodes[v] { codes.append(c) } else {
                    let c = keys.intern(numberText(v)); numberCodes[v] = c; codes.append(c)
                }
            } else if !column.codes.isEmpty, column.codes[row] >= 0 {
                codes.append(recode[Int(column.codes[row])])
            } else {
                codes.append(-1)
            }
        }
        var counts = CategoryCounts.zero()
        codes.withUnsafeBufferPointer { counts.add($0) }
        return counts
    }

    /// A number as category text: integers without a decimal point.
    static func numberText(_ v: Double) -> String {
        if v == v.rounded(), Swift.abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }
}
