import DriftStats

/// How far each statistic moves by chance for windows of the model's size, measured on the
/// reference itself: it is cut into pieces of one window each, and every piece is compared
/// with the rest of the reference — the piece left out, so the reference never judges itself
/// (the bins and grid stay those of the whole reference; only the counts leave). A rule with
/// `threshold: auto` then warns only above the largest value any piece reached.
public struct ReferenceCalibration: Sendable, Codable, Equatable {
    /// Records per piece (the model's window, or its expected volume for event time).
    public var windowRecords: Int
    public var pieces: Int
    /// Feature → metric (``Rule/Metric`` raw value) → the largest value over the pieces.
    public var maxima: [String: [String: Double]]

    public func maximum(_ metric: Rule.Metric, feature: String) -> Double? { maxima[feature]?[metric.rawValue] }

    /// Most pieces compared (evenly spread over the reference).
    public static let maximumPieces = 50

    /// Calibrates `baseline` on the reference it was fitted from. Nil when the reference
    /// holds fewer than two windows (nothing would be left to compare a piece with).
    public static func fit(baseline: Baseline, reference: SampleTable, windowRecords n: Int) -> ReferenceCalibration? {
        let rows = reference.rowCount
        guard n >= 1, rows >= 2 * n else { return nil }
        let available = rows / n
        let count = Swift.min(available, maximumPieces)
        let starts = (0..<count).map { k in (k * available / count) * n }
        var maxima: [String: [String: Double]] = [:]
        func note(_ feature: String, _ metric: Rule.Metric, _ value: Double?) {
            guard let value, value.isFinite else { return }
            maxima[feature, default: [:]][metric.rawValue] = Swift.max(maxima[feature]?[metric.rawValue] ?? 0, value)
        }
        for feature in baseline.features {
            guard let column = reference.column(named: feature.name) else { continue }
            switch feature.profile {
            case .numeric(let profile):
                for start in starts {
                    let piece = Array(column.numbers[start..<(start + n)])
                    var window = profile.emptyAccumulator
                    piece.withUnsafeBufferPointer { window.add($0, profile: profile) }
                    var rest = Moments.zero
                    column.numbers[..<start].withUnsafeBufferPointer { rest.add($0) }
                    column.numbers[(start + n)...].withUnsafeBufferPointer { rest.add($0) }
                    let stats = NumericDriftStatistics.compute(window, profile: profile.leavingOut(window, restMoments: rest))
                    note(feature.name, .psi, stats.psi)
                    note(feature.name, .jensenShannon, stats.jensenShannon)
                    note(feature.name, .ksStatistic, stats.ks?.statistic)
                    note(feature.name, .wassersteinNormed, stats.wassersteinNormed)
                    note(feature.name, .meanShift, stats.meanShift.map(Swift.abs))
                }
            case .categorical(let profile):
                let slots = slotsOfRows(column, profile: profile)
                for start in starts {
                    var counts = CategoryCounts.zero(categoryCount: profile.slotCount)
                    slots[start..<(start + n)].withUnsafeBufferPointer { counts.add($0) }
                    var pieceSlots = counts.counts + Array(repeating: 0, count: Swift.max(0, profile.slotCount - counts.counts.count))
                    pieceSlots[profile.missingSlot] += counts.missing
                    let rest = profile.withCounts(zip(profile.counts, pieceSlots).map { $0 &- Swift.min($0, $1) })
                    let stats = CategoricalDriftStatistics.compute(counts, profile: rest)
                    note(feature.name, .psi, stats.psi)
                    note(feature.name, .jensenShannon, stats.jensenShannon)
                    note(feature.name, .categoryShareChange, stats.maxShareChange)
                    note(feature.name, .unseenRate, stats.unseenRate)
                }
            }
        }
        return ReferenceCalibration(windowRecords: n, pieces: count, maxima: maxima)
    }

    /// Each row's slot in the profile (-1 missing), by the same text rule as the baseline.
    static func slotsOfRows(_ column: SampleColumn, profile: CategoricalReferenceProfile) -> [Int32] {
        let table = profile.slotsByCategory
        var numberSlots: [Double: Int32] = [:]
        let codeSlots = (0..<column.categories.count).map { c in Int32(table[column.categories.key(Int32(c))] ?? profile.otherSlot) }
        return (0..<column.rowCount).map { row in
            let v = column.numbers[row]
            if !v.isNaN {
                if let s = numberSlots[v] { return s }
                let s = Int32(table[Comparison.numberText(v)] ?? profile.otherSlot)
                numberSlots[v] = s
                return s
            }
            if !column.codes.isEmpty, column.codes[row] >= 0 { return codeSlots[Int(column.codes[row])] }
            return -1
        }
    }
}
