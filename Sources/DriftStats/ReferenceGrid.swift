#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A fine quantile grid of the reference CDF: what the streaming case keeps instead of the
/// raw reference sample, so KS and Wasserstein can be evaluated on a window's grid counts.
///
/// The points are the distinct values of numpy's linear quantiles at 0, 1/(G−1), …, 1
/// (default G = 1,000), or, when the reference has at most G distinct values, exactly those
/// values; then one more point just above the maximum. Cells follow ``NumericBinning``'s rule: cell 0 holds values below the first point,
/// cell k values in [p_{k−1}, p_k), the last cell values at or above the last point.
public struct ReferenceGrid: Sendable, Codable, Equatable, Hashable {
    public let points: [Double]
    /// Reference values per cell (`points.count + 1` cells), counted when the grid was fitted.
    public let referenceCounts: [UInt64]
    /// Smallest and largest reference values: the outer ends of the CDF for Wasserstein.
    public let referenceMinimum: Double
    public let referenceMaximum: Double
    /// True when the points are the reference's distinct values themselves (at most G of
    /// them): its CDF is then a step function with its atoms known exactly (nil in grids
    /// stored before driftd knew the difference, which are treated as quantile grids).
    public let exactValues: Bool?

    public static let defaultPointCount = 1000

    public var cellCount: Int { points.count + 1 }
    public var referenceTotal: UInt64 { referenceCounts.reduce(0, &+) }

    public init(points: [Double], referenceCounts: [UInt64], referenceMinimum: Double, referenceMaximum: Double, exactValues: Bool? = nil) {
        precondition(referenceCounts.count == points.count + 1, "a grid of \(points.count) points has \(points.count + 1) cells")
        self.points = points
        self.referenceCounts = referenceCounts
        self.referenceMinimum = referenceMinimum
        self.referenceMaximum = referenceMaximum
        self.exactValues = exactValues
    }

    /// Fits the grid on a sorted, finite, non-empty reference.
    public static func fit(sortedReference a: [Double], pointCount: Int = defaultPointCount) -> ReferenceGrid {
        precondition(!a.isEmpty, "a grid needs at least one reference value")
        precondition(pointCount >= 2, "a grid needs at least two points")
        var distinct = [Double]()
        for v in a where distinct.last != v {
            distinct.append(v)
            if distinct.count > pointCount { break }
        }
        var points: [Double]
        if distinct.count <= pointCount {
            points = distinct
        } else {
            var p = [Double]()
            a.withUnsafeBufferPointer { sample in
                for k in 0..<pointCount {
                    let q = Quantiles.linear(sorted: sample, probability: Double(k) / Double(pointCount - 1))
                    if p.last != q { p.append(q) }
                }
            }
            points = p
        }
        // One more point just above the reference maximum, so that current values beyond
        // it are told apart from values at it (KS at the grid sees the step at the maximum).
        if let last = points.last, last.nextUp.isFinite { points.append(last.nextUp) }
        var histogram = HistogramAccumulator.zero(binCount: points.count + 1)
        histogram.add(a, edges: points)
        return ReferenceGrid(points: points, referenceCounts: histogram.counts,
                             referenceMinimum: a.first!, referenceMaximum: a.last!, exactValues: distinct.count <= pointCount)
    }
}

/// KS on the grid: D evaluated at the grid points, and the largest D the cell counts allow.
public struct GridKSResult: Sendable, Codable, Equatable, Hashable {
    /// max over grid points p of |F_ref(x < p) − F_cur(x < p)|: a lower bound on the exact D.
    public var statistic: Double
    /// Exact D lies in [statistic, statistic + errorBound].
    public var errorBound: Double
    /// The asymptotic p-value (scipy's `asymp`) of ``statistic`` for the two sample sizes.
    public var pValue: Double

    public init(statistic: Double, errorBound: Double, pValue: Double) {
        self.statistic = statistic; self.errorBound = errorBound; self.pValue = pValue
    }
}

/// Statistics of a current sample known only through its counts on a ``ReferenceGrid``.
public enum GridStatistics {
    /// KS from grid counts. Between two grid points both empirical CDFs are only known to
    /// lie between their values at the cell's ends, which bounds how far the exact D can
    /// exceed the D seen at the points. `nil` when either side is empty.
    public static func kolmogorovSmirnov(grid: ReferenceGrid, currentCounts: [UInt64]) -> GridKSResult? {
        precondition(currentCounts.count == grid.cellCount, "current counts must be on the grid's cells")
        let nr = grid.referenceTotal, nc = currentCounts.reduce(0, &+)
        guard nr > 0, nc > 0 else { return nil }
        let dr = Double(nr), dc = Double(nc)
        // The CDF differences scaled by nr · nc: cumR · nc − cumC · nr is an integer (exact in a
        // double below 2^53), so the walk needs no division per cell and D is rounded once.
        var cumR: UInt64 = 0, cumC: UInt64 = 0
        var lowerScaled = 0.0, upperScaled = 0.0
        let points = grid.points.count
        grid.referenceCounts.withUnsafeBufferPointer { reference in
            currentCounts.withUnsafeBufferPointer { current in
                for j in 0..<reference.count {
                    let loR = Double(cumR) * dc, loC = Double(cumC) * dr
                    cumR &+= reference[j]; cumC &+= current[j]
                    let hiR = Double(cumR) * dc, hiC = Double(cumC) * dr
                    upperScaled = Swift.max(upperScaled, hiR - loC, hiC - loR)
                    if j < points { lowerScaled = Swift.max(lowerScaled, Swift.abs(hiR - hiC)) }  // F(x < p_j)
                }
            }
        }
        let scale = dr * dc
        let lower = Swift.min(lowerScaled / scale, 1)
        let upper = Swift.min(Swift.max(upperScaled / scale, lower), 1)
        let p = KolmogorovSmirnovDistribution.twoSamplePValue(statistic: lower, n1: Int(nr), n2: Int(nc), method: .asymp)
        return GridKSResult(statistic: lower, errorBound: upper - lower, pValue: p.pValue)
    }

    /// Wasserstein-1 from grid counts: each side's CDF is taken as linear between its
    /// minimum, the grid points (at F(x < p)) and its maximum, and |F_ref − F_cur| is
    /// integrated exactly over those pieces. An approximation of the exact distance whose
    /// error shrinks with the grid's resolution. `nil` when either side is empty.
    public static func wasserstein(grid: ReferenceGrid, currentCounts: [UInt64], currentMinimum: Double, currentMaximum: Double) -> Double? {
        precondition(currentCounts.count == grid.cellCount)
        if grid.exactValues == true {
            return atomWasserstein(grid: grid, currentCounts: currentCounts, currentMinimum: currentMinimum, currentMaximum: currentMaximum)
        }
        guard let ref = PiecewiseLinearCDF(points: grid.points, counts: grid.referenceCounts,
                                           minimum: grid.referenceMinimum, maximum: grid.referenceMaximum),
              let cur = PiecewiseLinearCDF(points: grid.points, counts: currentCounts,
                                           minimum: currentMinimum, maximum: currentMaximum) else { return nil }
        // Both knot lists are sorted: they are merged in one pass, and each CDF is read by a
        // cursor that only moves forward — the segment a binary search finds, so the same
        // values — instead of sorting the 2,000 abscissae and searching twice at each.
        let a = ref.knots, b = cur.knots
        var refAt = PiecewiseLinearCDF.Cursor(knots: a), curAt = PiecewiseLinearCDF.Cursor(knots: b)
        var i = 0, j = 0
        func nextX() -> Double {
            if j >= b.count || (i < a.count && a[i].x <= b[j].x) { i += 1; return a[i - 1].x }
            j += 1; return b[j - 1].x
        }
        var total = 0.0
        var previousX = nextX()
        var previousD = refAt.value(at: previousX) - curAt.value(at: previousX)
        while i < a.count || j < b.count {
            let x = nextX()
            guard x > previousX else { continue }
            let d = refAt.value(at: x) - curAt.value(at: x)
            let width = x - previousX
            if (previousD >= 0) == (d >= 0) {
                total += (Swift.abs(previousD) + Swift.abs(d)) / 2 * width
            } else {
                total += (previousD * previousD + d * d) / (2 * (Swift.abs(previousD) + Swift.abs(d))) * width
            }
            previousX = x; previousD = d
        }
        return total
    }
}

extension GridStatistics {
    /// Wasserstein-1 when the grid's points are the reference's own values (a binary or
    /// few-valued feature): both CDFs are step functions, so W1 = Σ |F_ref − F_cur| · gap
    /// between consecutive atoms, exact when the current values are reference values too. A
    /// current value between two atoms is placed at the lower one (below the first atom: at
    /// the current minimum; above the last: at the current maximum).
    static func atomWasserstein(grid: ReferenceGrid, currentCounts: [UInt64], currentMinimum: Double, currentMaximum: Double) -> Double? {
        let nr = grid.referenceTotal, nc = currentCounts.reduce(0, &+)
        guard nr > 0, nc > 0, currentMinimum.isFinite, currentMaximum.isFinite else { return nil }
        // Atoms in increasing order with the mass of each side on them.
        var atoms: [(x: Double, r: UInt64, c: UInt64)] = []
        if currentCounts[0] > 0 { atoms.append((Swift.min(currentMinimum, grid.points[0]), 0, currentCounts[0])) }
        for k in 1..<grid.cellCount {
            let r = grid.referenceCounts[k], c = currentCounts[k]
            guard r > 0 || c > 0 else { continue }
            let x = k == grid.cellCount - 1 ? Swift.max(currentMaximum, grid.points[k - 1]) : grid.points[k - 1]
            atoms.append((x, r, c))
        }
        var total = 0.0, cumR: UInt64 = 0, cumC: UInt64 = 0
        for i in 0..<(atoms.count - 1) {
            cumR += atoms[i].r; cumC += atoms[i].c
            total += Swift.abs(Double(cumR) / Double(nr) - Double(cumC) / Double(nc)) * (atoms[i + 1].x - atoms[i].x)
        }
        return total
    }
}

/// A CDF drawn through knots (x, F) with straight lines, 0 before the first, 1 after the last.
struct PiecewiseLinearCDF {
    var knots: [(x: Double, y: Double)]

    init?(points: [Double], counts: [UInt64], minimum: Double, maximum: Double) {
        let n = counts.reduce(0, &+)
        guard n > 0, minimum.isFinite, maximum.isFinite else { return nil }
        var knots: [(x: Double, y: Double)] = [(minimum, 0)]
        knots.reserveCapacity(points.count + 2)
        var cumulative: UInt64 = 0
        for (k, p) in points.enumerated() {
            cumulative += counts[k]
            if p > minimum && p < maximum { knots.append((p, Double(cumulative) / Double(n))) }
        }
        knots.append((Swift.max(maximum, minimum), 1))
        self.knots = knots
    }

    /// Reads the CDF at nondecreasing abscissae, walking the knots once.
    struct Cursor {
        let knots: [(x: Double, y: Double)]
        var low = 0

        mutating func value(at x: Double) -> Double {
            if x <= knots[0].x { return x < knots[0].x ? 0 : (knots.count == 2 && knots[1].x == x ? 1 : 0) }
            if x >= knots[knots.count - 1].x { return 1 }
            while knots[low + 1].x <= x { low += 1 }   // knots[low].x <= x < knots[low + 1].x
            let a = knots[low], b = knots[low + 1]
            return a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x)
        }
    }
}
