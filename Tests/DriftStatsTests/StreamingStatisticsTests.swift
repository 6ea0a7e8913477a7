@testable import DriftStats
import DriftTesting
import Testing

/// The streaming case: a window is known only through its counts on the reference's fine
/// grid and PSI bins. Its statistics must bracket or approximate the exact ones.
@Suite("Statistics from the fine grid and reference profiles")
struct StreamingStatisticsTests {
    static func counts(_ values: [Double], on grid: ReferenceGrid) -> [UInt64] {
        var h = HistogramAccumulator.zero(binCount: grid.cellCount)
        h.add(values, edges: grid.points)
        return h.counts
    }

    @Test("the exact KS D lies within the grid's D and its error bound", arguments: Fixtures.numericGoldens)
    func ksBracketsExact(_ golden: GoldenCase) throws {
        let a = RadixSort.sortedFiniteValues(golden.referenceNumbers), b = RadixSort.sortedFiniteValues(golden.currentNumbers)
        let exact = try #require(KolmogorovSmirnov.twoSample(sortedReference: a, sortedCurrent: b)).statistic
        for points in [50, 1000] {
            let grid = ReferenceGrid.fit(sortedReference: a, pointCount: points)
            let ks = try #require(GridStatistics.kolmogorovSmirnov(grid: grid, currentCounts: Self.counts(b, on: grid)))
            #expect(ks.statistic <= exact + 1e-12, "\(points) points: grid D \(ks.statistic) ≤ exact \(exact)")
            #expect(exact <= ks.statistic + ks.errorBound + 1e-12, "\(points) points: exact \(exact) ≤ \(ks.statistic) + \(ks.errorBound)")
            #expect(!ks.pValue.isNaN)
        }
    }

    @Test("a small reference keeps its exact values as the grid")
    func exactGridForSmallReference() {
        let a: [Double] = [1, 2, 2, 3, 5, 8, 13]
        let grid = ReferenceGrid.fit(sortedReference: a, pointCount: 1000)
        #expect(grid.points == [1, 2, 3, 5, 8, 13, (13.0).nextUp])
        #expect(grid.referenceCounts == [0, 1, 2, 1, 1, 1, 1, 0])
    }

    @Test("KS on the grid sees mass beyond the reference maximum")
    func stepAtMaximum() throws {
        let reference = (0..<1000).map { Double($0 % 5 + 1) }          // 1…5 uniform
        let current = (0..<1000).map { $0 < 700 ? Double($0 % 5 + 1) : 6 } // 30 % at 6
        let a = RadixSort.sortedFiniteValues(reference), b = RadixSort.sortedFiniteValues(current)
        let exact = try #require(KolmogorovSmirnov.twoSample(sortedReference: a, sortedCurrent: b)).statistic
        let grid = ReferenceGrid.fit(sortedReference: a)
        let ks = try #require(GridStatistics.kolmogorovSmirnov(grid: grid, currentCounts: Self.counts(b, on: grid)))
        #expect(Swift.abs(ks.statistic - exact) < 1e-12, "grid D \(ks.statistic) vs exact \(exact)")
    }

    @Test("grid Wasserstein approaches the exact distance on large smooth samples")
    func wassersteinApproximation() throws {
        var g = SeededGenerator(seed: 12)
        for shift in [0.0, 0.1, 0.5, 1.0] {
            let a = RadixSort.sortedFiniteValues((0..<20_000).map { _ in g.normal() })
            let b = RadixSort.sortedFiniteValues((0..<20_000).map { _ in g.normal() * 1.2 + shift })
            let exact = Wasserstein.distance(sortedReference: a, sortedCurrent: b)
            let grid = ReferenceGrid.fit(sortedReference: a)
            let approx = try #require(GridStatistics.wasserstein(grid: grid, currentCounts: Self.counts(b, on: grid),
                                                                 currentMinimum: b.first!, currentMaximum: b.last!))
            #expect(Swift.abs(approx - exact) <= 0.02 * exact + 0.002, "shift \(shift): grid \(approx) vs exact \(exact)")
        }
    }

    @Test("a reference against itself through its profile: PSI 0, KS 0, no shift")
    func profileAgainstItself() throws {
        let column = SeededData.column(count: 5000, seed: 30, specialsEvery: 50)
        let profile = try #require(NumericReferenceProfile.fit(column))
        var window = profile.emptyAccumulator
        column.withUnsafeBufferPointer { window.add($0, profile: profile) }
        let s = NumericDriftStatistics.compute(window, profile: profile)
        #expect(s.psi == 0)
        #expect(s.ks?.statistic == 0)
        #expect(s.meanShift == 0)
        #expect(s.outsideReferenceRangeRate == 0)
        #expect(s.missingRate == Double(profile.quality.missing) / Double(profile.quality.total))
    }

    @Test("numeric window panes merge into the one-pass window")
    func numericPanes() throws {
        let profile = try #require(NumericReferenceProfile.fit(SeededData.column(count: 3000, seed: 31)))
        let panes = (0..<4).map { SeededData.column(count: 777, seed: UInt64(50 + $0)) }
        let accumulated = panes.map { p -> NumericAccumulator in
            var a = profile.emptyAccumulator; p.withUnsafeBufferPointer { a.add($0, profile: profile) }; return a
        }
        var whole = profile.emptyAccumulator
        panes.flatMap { $0 }.withUnsafeBufferPointer { whole.add($0, profile: profile) }
        let merged = accumulated.dropFirst().reduce(accumulated[0]) { $0.merged(with: $1) }
        #expect(merged.psi == whole.psi && merged.grid == whole.grid && merged.quality == whole.quality)
        #expect(isClose(merged.moments.mean, whole.moments.mean, relative: 1e-12))
        #expect(merged.merged(with: profile.emptyAccumulator) == merged)
    }

    @Test("categorical profile: top-K, other, unseen and missing slots")
    func categoricalProfile() throws {
        let profile = CategoricalReferenceProfile.fit(frequencies: ["a": 50, "b": 30, "c": 15, "d": 5], missing: 10, topK: 2)
        #expect(profile.categories == ["a", "b"])
        #expect(profile.counts == [50, 30, 20, 0, 10])
        #expect(profile.slot(of: "c") == profile.otherSlot)
        #expect(profile.slot(of: "zzz") == profile.unseenSlot)
        #expect(profile.slot(of: nil) == profile.missingSlot)

        var same = CategoryCounts.zero()
        let reference: [Int32] = Array(repeating: 0, count: 50) + Array(repeating: 1, count: 30) + Array(repeating: 2, count: 20) + Array(repeating: -1, count: 10)
        reference.withUnsafeBufferPointer { same.add($0) }
        let quiet = CategoricalDriftStatistics.compute(same, profile: profile)
        #expect(quiet.psi == 0)
        #expect(quiet.chiSquare?.pValue == 1)
        #expect(quiet.unseenRate == 0)

        var novel = CategoryCounts.zero()
        let current: [Int32] = Array(repeating: 0, count: 50) + Array(repeating: 3, count: 25) + Array(repeating: 1, count: 25)
        current.withUnsafeBufferPointer { novel.add($0) }
        let loud = CategoricalDriftStatistics.compute(novel, profile: profile)
        #expect(loud.unseenRate == 0.25)
        #expect(loud.chiSquare?.pValue == 0)
        #expect(loud.psi > 0.2)
    }
}

extension PiecewiseLinearCDF {
    /// The CDF at `x` by binary search over the knots: the plain form the one-pass cursor must equal.
    func value(at x: Double) -> Double {
        if x <= knots[0].x { return x < knots[0].x ? 0 : (knots.count == 2 && knots[1].x == x ? 1 : 0) }
        if x >= knots[knots.count - 1].x { return 1 }
        var low = 0, high = knots.count - 1   // knots[low].x < x < knots[high].x
        while high - low > 1 {
            let mid = (low + high) / 2
            if knots[mid].x <= x { low = mid } else { high = mid }
        }
        let a = knots[low], b = knots[high]
        return a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x)
    }
}

/// The grid Wasserstein walks both CDFs' knots once; the plain form sorts every abscissa and
/// finds each CDF's segment by binary search. They must agree to the bit.
@Suite("Grid Wasserstein in one pass")
struct GridWassersteinPassTests {
    /// The plain form: every knot's abscissa, sorted, each CDF evaluated by binary search.
    static func bySearch(grid: ReferenceGrid, currentCounts: [UInt64], currentMinimum: Double, currentMaximum: Double) -> Double? {
        guard let ref = PiecewiseLinearCDF(points: grid.points, counts: grid.referenceCounts,
                                           minimum: grid.referenceMinimum, maximum: grid.referenceMaximum),
              let cur = PiecewiseLinearCDF(points: grid.points, counts: currentCounts, minimum: currentMinimum, maximum: currentMaximum)
        else { return nil }
        let xs = (ref.knots.map(\.x) + cur.knots.map(\.x)).sorted()
        var total = 0.0, previousX = xs[0], previousD = ref.value(at: xs[0]) - cur.value(at: xs[0])
        for x in xs.dropFirst() where x > previousX {
            let d = ref.value(at: x) - cur.value(at: x), width = x - previousX
            if (previousD >= 0) == (d >= 0) { total += (Swift.abs(previousD) + Swift.abs(d)) / 2 * width }
            else { total += (previousD * previousD + d * d) / (2 * (Swift.abs(previousD) + Swift.abs(d))) * width }
            previousX = x; previousD = d
        }
        return total
    }

    @Test("equal to the binary-search form on windows inside, across and beyond the reference's range")
    func equalToSearch() throws {
        var g = SeededGenerator(seed: 44)
        let reference = RadixSort.sortedFiniteValues((0..<20_000).map { _ in g.normal() })
        let grid = ReferenceGrid.fit(sortedReference: reference)
        #expect(grid.exactValues == false)
        var compared = 0
        for (size, scale, shift) in [(1, 1.0, 0.0), (3, 0.01, 0.0), (50, 1.0, 0.3), (500, 2.0, -1.0), (2_000, 0.5, 4.0), (5_000, 1.0, 0.0)] {
            for _ in 0..<5 {
                let current = RadixSort.sortedFiniteValues((0..<size).map { _ in g.normal() * scale + shift })
                let counts = StreamingStatisticsTests.counts(current, on: grid)
                let onePass = GridStatistics.wasserstein(grid: grid, currentCounts: counts, currentMinimum: current.first!, currentMaximum: current.last!)
                let search = Self.bySearch(grid: grid, currentCounts: counts, currentMinimum: current.first!, currentMaximum: current.last!)
                #expect(onePass == search, "\(size) values ×\(scale) +\(shift): \(String(describing: onePass)) vs \(String(describing: search))")
                compared += 1
            }
        }
        #expect(compared == 30)
    }
}
