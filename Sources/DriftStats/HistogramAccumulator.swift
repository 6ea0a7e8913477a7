#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Counts of values per bin of frozen edges (PSI bins or the fine grid), plus the missing
/// (NaN) and non-finite (±∞) values that fell in no bin. Mergeable by addition.
public struct HistogramAccumulator: Sendable, Codable, Equatable, Hashable {
    /// One count per bin; `counts.count == edges.count + 1`.
    public private(set) var counts: [UInt64]
    public private(set) var missing: UInt64
    public private(set) var nonFinite: UInt64

    /// The empty histogram for `binCount` bins.
    public static func zero(binCount: Int) -> HistogramAccumulator {
        precondition(binCount >= 1)
        return HistogramAccumulator(counts: Array(repeating: 0, count: binCount), missing: 0, nonFinite: 0)
    }

    public init(counts: [UInt64], missing: UInt64, nonFinite: UInt64) {
        self.counts = counts; self.missing = missing; self.nonFinite = nonFinite
    }

    /// Values that fell into a bin.
    public var binnedTotal: UInt64 { counts.reduce(0, &+) }

    /// Adds a column with the fastest kernel for the number of edges.
    public mutating func add(_ column: UnsafeBufferPointer<Double>, edges: UnsafeBufferPointer<Double>) {
        // A few values into many bins (a model among thousands gets a dozen records per
        // batch): straight into the counts. Zeroing and folding a thousand slots per call
        // cost more than the values.
        if column.count * 16 < BinCountingKernel.slotCount(edgeCount: edges.count) {
            precondition(edges.count + 1 == counts.count, "the histogram was made for \(counts.count - 1) edges, not \(edges.count)")
            addDirectly(column, edges: edges)
            return
        }
        accumulate(column, edges: edges, kernel: BinCountingKernel.accumulate)
    }

    /// Adds a column one value at a time (the reference the kernels are checked against).
    public mutating func addScalar(_ column: UnsafeBufferPointer<Double>, edges: UnsafeBufferPointer<Double>) {
        accumulate(column, edges: edges, kernel: BinCountingKernel.accumulateScalar)
    }

    public mutating func add(_ column: [Double], edges: [Double]) {
        column.withUnsafeBufferPointer { c in edges.withUnsafeBufferPointer { e in add(c, edges: e) } }
    }

    public mutating func addScalar(_ column: [Double], edges: [Double]) {
        column.withUnsafeBufferPointer { c in edges.withUnsafeBufferPointer { e in addScalar(c, edges: e) } }
    }

    private mutating func accumulate(
        _ column: UnsafeBufferPointer<Double>, edges: UnsafeBufferPointer<Double>,
        kernel: (UnsafeBufferPointer<Double>, UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<UInt64>) -> Void
    ) {
        precondition(edges.count + 1 == counts.count, "the histogram was made for \(counts.count - 1) edges, not \(edges.count)")
        let edgeCount = edges.count
        let slotCount = BinCountingKernel.slotCount(edgeCount: edgeCount)
        // Small on the stack; the fine grid's thousand slots on the heap (a big stack
        // allocation on a thread with a small stack can jump its guard page).
        if slotCount <= 256 {
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: slotCount) { fold($0, column, edges, kernel) }
        } else {
            var heap = [UInt64](repeating: 0, count: slotCount)
            heap.withUnsafeMutableBufferPointer { fold($0, column, edges, kernel) }
        }
    }

    /// The same counts as the kernels, one binary search per value.
    private mutating func addDirectly(_ column: UnsafeBufferPointer<Double>, edges: UnsafeBufferPointer<Double>) {
        counts.withUnsafeMutableBufferPointer { c in
            for v in column {
                if v.isNaN { missing &+= 1; continue }
                if v.isInfinite { nonFinite &+= 1; continue }
                c[BinCountingKernel.bin(of: v, edges: edges)] &+= 1
            }
        }
    }

    private mutating func fold(
        _ slots: UnsafeMutableBufferPointer<UInt64>, _ column: UnsafeBufferPointer<Double>, _ edges: UnsafeBufferPointer<Double>,
        _ kernel: (UnsafeBufferPointer<Double>, UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<UInt64>) -> Void
    ) {
        let edgeCount = edges.count
        slots.initialize(repeating: 0)
        kernel(column, edges, slots)
        counts.withUnsafeMutableBufferPointer { c in
            for b in 0..<c.count { c[b] &+= slots[b] }
        }
        missing &+= slots[BinCountingKernel.missingSlot(edgeCount: edgeCount)]
        nonFinite &+= slots[BinCountingKernel.nonFiniteSlot(edgeCount: edgeCount)]
    }

    public mutating func merge(_ other: HistogramAccumulator) {
        precondition(other.counts.count == counts.count, "histograms over different bins cannot merge")
        for b in counts.indices { counts[b] &+= other.counts[b] }
        missing &+= other.missing
        nonFinite &+= other.nonFinite
    }

    public func merged(with other: HistogramAccumulator) -> HistogramAccumulator {
        var r = self; r.merge(other); return r
    }

    /// Proportion of binned values per bin (all zeros when nothing was binned).
    public var proportions: [Double] {
        let total = binnedTotal
        guard total > 0 else { return Array(repeating: 0, count: counts.count) }
        return counts.map { Double($0) / Double(total) }
    }
}
