import DriftStats
import DriftTesting
import Testing

/// Every SIMD kernel against the plain scalar version beside it, on seeded data that holds
/// NaN, ±∞, ties and values exactly on the edges.
@Suite("SIMD kernels agree with their scalar versions")
struct KernelAgreementTests {
    static let sizes = [0, 1, 7, 8, 9, 63, 1000, 10_007]

    static func edges(count: Int) -> [Double] {
        var g = SeededGenerator(seed: 99)
        var e = Set<Double>()
        while e.count < count { e.insert(((g.normal() * 3 + 1) * 1000).rounded() / 1000) }
        return e.sorted()
    }

    @Test("bin counting: linear vector compare and interleaved binary search", arguments: sizes)
    func binCounting(size: Int) {
        for edgeCount in [0, 1, 9, 24, 25, 63, 999] {
            let edges = Self.edges(count: edgeCount)
            let column = SeededData.column(count: size, seed: UInt64(size + edgeCount), ties: edges.isEmpty ? [] : [edges[0], edges[edges.count / 2]])
            var scalar = [UInt64](repeating: 0, count: BinCountingKernel.slotCount(edgeCount: edgeCount))
            var linear = scalar, search = scalar, chosen = scalar
            column.withUnsafeBufferPointer { c in
                edges.withUnsafeBufferPointer { e in
                    scalar.withUnsafeMutableBufferPointer { BinCountingKernel.accumulateScalar(c, edges: e, into: $0) }
                    linear.withUnsafeMutableBufferPointer { BinCountingKernel.accumulateLinearSIMD(c, edges: e, into: $0) }
                    search.withUnsafeMutableBufferPointer { BinCountingKernel.accumulateBinarySearchInterleaved(c, edges: e, into: $0) }
                    chosen.withUnsafeMutableBufferPointer { BinCountingKernel.accumulate(c, edges: e, into: $0) }
                }
            }
            #expect(linear == scalar, "linear, \(edgeCount) edges")
            #expect(search == scalar, "binary search, \(edgeCount) edges")
            #expect(chosen == scalar)
            #expect(scalar.reduce(0, +) == UInt64(size))
        }
    }

    @Test("histogram accumulator: SIMD add equals scalar add", arguments: sizes)
    func histogram(size: Int) {
        let edges = Self.edges(count: 9)
        let column = SeededData.column(count: size, seed: 5, ties: edges)
        var a = HistogramAccumulator.zero(binCount: 10), b = a
        a.add(column, edges: edges)
        b.addScalar(column, edges: edges)
        #expect(a == b)
    }

    @Test("fine grid: a few values at a time (counted directly) give the kernel's counts", arguments: [1, 7, 12, 40, 62, 63, 64, 200])
    func fewValuesIntoManyBins(size: Int) {
        let edges = Self.edges(count: 1000)
        var column = SeededData.column(count: size, seed: 17, ties: edges)
        column[0] = .infinity
        if size > 2 { column[size / 2] = .nan; column[size - 1] = edges[999] }
        var a = HistogramAccumulator.zero(binCount: 1001), b = a
        a.add(column, edges: edges)
        b.addScalar(column, edges: edges)
        #expect(a == b)
        #expect(a.counts.reduce(0, +) + a.missing + a.nonFinite == UInt64(size))
    }

    @Test("moments: vector passes agree with Welford", arguments: sizes)
    func moments(size: Int) {
        let column = SeededData.column(count: size, seed: 11)
        var simd = Moments.zero, scalar = Moments.zero
        column.withUnsafeBufferPointer { simd.add($0); scalar.addScalar($0) }
        #expect(simd.count == scalar.count)
        #expect(simd.min == scalar.min)
        #expect(simd.max == scalar.max)
        #expect(isClose(simd.mean, scalar.mean, relative: 1e-12, absolute: 1e-12))
        #expect(isClose(simd.m2, scalar.m2, relative: 1e-10, absolute: 1e-10))
    }

    @Test("data-quality counts: vector compares agree with the scalar loop", arguments: sizes)
    func quality(size: Int) {
        let column = SeededData.column(count: size, seed: 3)
        var simd = DataQualityCounts.zero, scalar = DataQualityCounts.zero
        column.withUnsafeBufferPointer {
            simd.add($0, referenceRange: -2...4)
            scalar.addScalar($0, referenceRange: -2...4)
        }
        #expect(simd == scalar)
        #expect(simd.total == UInt64(size))
    }

    @Test("category counts: unrolled sub-tables agree with the scalar loop", arguments: sizes)
    func categories(size: Int) {
        var g = SeededGenerator(seed: 8)
        let codes: [Int32] = (0..<size).map { _ in Int32.random(in: -1...40, using: &g) }
        var unrolled = CategoryCounts.zero(), scalar = CategoryCounts.zero()
        codes.withUnsafeBufferPointer { unrolled.add($0); scalar.addScalar($0) }
        #expect(unrolled == scalar)
    }

    @Test("radix sort orders finite values like the standard sort and drops NaN and ±∞", arguments: sizes)
    func radixSort(size: Int) {
        var column = SeededData.column(count: size, seed: 21, ties: [0, -0.0, 1.5])
        column += [Double.greatestFiniteMagnitude, -Double.greatestFiniteMagnitude, Double.leastNonzeroMagnitude]
        let expected = column.filter(\.isFinite).sorted()
        #expect(RadixSort.sortedFiniteValues(column) == expected)
    }
}

@Suite("Accumulators merge like the values they summarise")
struct MergeLawTests {
    static let edges: [Double] = [-3, -1, 0, 0.5, 2, 4]
    static func panes() -> [[Double]] {
        (0..<3).map { SeededData.column(count: 500 + 37 * $0, seed: UInt64(40 + $0), ties: edges) }
    }

    static func histogram(_ values: [Double]) -> HistogramAccumulator {
        var h = HistogramAccumulator.zero(binCount: edges.count + 1); h.add(values, edges: edges); return h
    }

    @Test("histograms: associative, commutative, zero is the identity, panes equal one pass")
    func histogramLaws() {
        let p = Self.panes().map(Self.histogram)
        let zero = HistogramAccumulator.zero(binCount: Self.edges.count + 1)
        #expect(p[0].merged(with: p[1]).merged(with: p[2]) == p[0].merged(with: p[1].merged(with: p[2])))
        #expect(p[0].merged(with: p[1]) == p[1].merged(with: p[0]))
        #expect(p[0].merged(with: zero) == p[0])
        #expect(p[0].merged(with: p[1]).merged(with: p[2]) == Self.histogram(Self.panes().flatMap { $0 }))
    }

    @Test("moments: Chan's merge equals one pass, in any order")
    func momentLaws() {
        let panes = Self.panes()
        let m = panes.map { values -> Moments in var x = Moments.zero; values.withUnsafeBufferPointer { x.add($0) }; return x }
        var all = Moments.zero
        panes.flatMap { $0 }.withUnsafeBufferPointer { all.addScalar($0) }
        let left = m[0].merged(with: m[1]).merged(with: m[2]), right = m[0].merged(with: m[1].merged(with: m[2]))
        for x in [left, right, m[2].merged(with: m[0]).merged(with: m[1])] {
            #expect(x.count == all.count && x.min == all.min && x.max == all.max)
            #expect(isClose(x.mean, all.mean, relative: 1e-12))
            #expect(isClose(x.m2, all.m2, relative: 1e-10))
        }
        #expect(m[0].merged(with: .zero) == m[0])
        #expect(Moments.zero.merged(with: m[0]) == m[0])
    }

    @Test("data-quality and category counts: merge laws")
    func countLaws() {
        let panes = Self.panes()
        let q = panes.map { values -> DataQualityCounts in var x = DataQualityCounts.zero; values.withUnsafeBufferPointer { x.add($0, referenceRange: -1...1) }; return x }
        var all = DataQualityCounts.zero
        panes.flatMap { $0 }.withUnsafeBufferPointer { all.add($0, referenceRange: -1...1) }
        #expect(q[0].merged(with: q[1]).merged(with: q[2]) == all)
        #expect(q[0].merged(with: q[1]) == q[1].merged(with: q[0]))
        #expect(q[0].merged(with: .zero) == q[0])

        let codes: [[Int32]] = [[0, 1, 1, -1, 5], [2, 2, -1], [7, 0]]
        let c = codes.map { v -> CategoryCounts in var x = CategoryCounts.zero(); v.withUnsafeBufferPointer { x.add($0) }; return x }
        var oneCount = CategoryCounts.zero()
        codes.flatMap { $0 }.withUnsafeBufferPointer { oneCount.add($0) }
        #expect(c[0].merged(with: c[1]).merged(with: c[2]) == oneCount)
        #expect(c[0].merged(with: c[1].merged(with: c[2])) == oneCount)
        #expect(c[0].merged(with: .zero()) == c[0])
    }

    @Test("accumulators survive a checkpoint round trip through Codable")
    func codable() throws {
        let h = Self.histogram(Self.panes()[0])
        var m = Moments.zero
        Self.panes()[1].withUnsafeBufferPointer { m.add($0) }
        let encodedH = try JSONRoundTrip.roundTrip(h)
        let encodedM = try JSONRoundTrip.roundTrip(m)
        #expect(encodedH == h)
        #expect(encodedM == m)
    }
}
