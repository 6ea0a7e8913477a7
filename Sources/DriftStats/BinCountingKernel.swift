#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Counting values into bins delimited by sorted edges: the inner loop of PSI histograms and
/// fine-grid counts. Every kernel has the same contract, so the SIMD versions can be checked
/// against the plain scalar one:
///
/// - `counts` has `edges.count + 3` slots: the bins `0...edges.count` (the bin of `v` is the
///   number of edges `≤ v`), then a slot for NaN (the missing-value marker), then one for ±∞.
/// - Counts are added to what `counts` already holds.
public enum BinCountingKernel {
    /// Slot of NaN values in a counts buffer for `edgeCount` edges.
    @inlinable public static func missingSlot(edgeCount: Int) -> Int { edgeCount + 1 }
    /// Slot of ±∞ values in a counts buffer for `edgeCount` edges.
    @inlinable public static func nonFiniteSlot(edgeCount: Int) -> Int { edgeCount + 2 }
    /// Size of a counts buffer for `edgeCount` edges.
    @inlinable public static func slotCount(edgeCount: Int) -> Int { edgeCount + 3 }

    /// Up to this many edges a linear vector compare beats a binary search.
    public static let linearScanMaxEdges = 24

    /// Picks the fastest kernel for the number of edges.
    public static func accumulate(_ values: UnsafeBufferPointer<Double>, edges: UnsafeBufferPointer<Double>,
                                  into counts: UnsafeMutableBufferPointer<UInt64>) {
        if edges.count <= linearScanMaxEdges {
            accumulateLinearSIMD(values, edges: edges, into: counts)
        } else {
            accumulateBinarySearchInterleaved(values, edges: edges, into: counts)
        }
    }

    /// The reference: one value at a time, a branching binary search.
    public static func accumulateScalar(_ values: UnsafeBufferPointer<Double>, edges: UnsafeBufferPointer<Double>,
                                        into counts: UnsafeMutableBufferPointer<UInt64>) {
        precondition(counts.count == slotCount(edgeCount: edges.count))
        for v in values {
            if v.isNaN {
                counts[missingSlot(edgeCount: edges.count)] += 1
            } else if v.isInfinite {
                counts[nonFiniteSlot(edgeCount: edges.count)] += 1
            } else {
                counts[bin(of: v, edges: edges)] += 1
            }
        }
    }

    /// The bin of a finite value: the number of edges at or below it (a branching binary search).
    @inline(__always)
    public static func bin(of v: Double, edges: UnsafeBufferPointer<Double>) -> Int {
        var low = 0, high = edges.count
        while low < high {
            let mid = (low + high) / 2
            if edges[mid] <= v { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Eight lanes at a time: the bin index is the number of edges at or below each lane,
    /// summed from vector compares (branch-free), NaN and ±∞ redirected to their slots by
    /// masks, then counted into eight sub-histograms so that increments do not wait on
    /// each other.
    public static func accumulateLinearSIMD(_ values: UnsafeBufferPointer<Double>, edges: UnsafeBufferPointer<Double>,
                                            into counts: UnsafeMutableBufferPointer<UInt64>) {
        let slots = slotCount(edgeCount: edges.count)
        precondition(counts.count == slots)
        guard let base = values.baseAddress, values.count > 0 else { return }
        let lanes = 8
        let vectorCount = values.count / lanes * lanes
        if vectorCount > 0 {
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: slots * lanes) { local in
                local.initialize(repeating: 0)
                let missing = SIMD8<Int64>(repeating: Int64(missingSlot(edgeCount: edges.count)))
                let nonFinite = SIMD8<Int64>(repeating: Int64(nonFiniteSlot(edgeCount: edges.count)))
                let infinity = SIMD8<Double>(repeating: .infinity)
                let laneOffset = SIMD8<Int64>(0, 1, 2, 3, 4, 5, 6, 7) &* Int64(slots)
                let raw = UnsafeRawPointer(base)
                var i = 0
                // Sub-histogram counters are 32-bit; flush before they could overflow.
                var sinceFlush = 0
                while i < vectorCount {
                    let v = raw.loadUnaligned(fromByteOffset: i &* 8, as: SIMD8<Double>.self)
                    var index = SIMD8<Int64>(repeating: 0)
                    for e in edges {
                        let atOrBelow = SIMD8<Double>(repeating: e) .<= v
                        index &-= unsafeBitCast(atOrBelow, to: SIMD8<Int64>.self)
                    }
                    index.replace(with: missing, where: v .!= v)
                    index.replace(with: nonFinite, where: (v .== infinity) .| (v .== -infinity))
                    let slot = index &+ laneOffset
                    local[Int(slot[0])] &+= 1; local[Int(slot[1])] &+= 1
                    local[Int(slot[2])] &+= 1; local[Int(slot[3])] &+= 1
                    local[Int(slot[4])] &+= 1; local[Int(slot[5])] &+= 1
                    local[Int(slot[6])] &+= 1; local[Int(slot[7])] &+= 1
                    i &+= lanes
                    sinceFlush &+= 1
                    if sinceFlush == 1 << 30 {
                        flush(local, lanes: lanes, slots: slots, into: counts)
                        sinceFlush = 0
                    }
                }
                flush(local, lanes: lanes, slots: slots, into: counts)
            }
        }
        if vectorCount < values.count {
            accumulateScalar(UnsafeBufferPointer(rebasing: values[vectorCount...]), edges: edges, into: counts)
        }
    }

    /// Many edges (the fine grid): a branch-free binary search run on eight values at once,
    /// so the loads of one lane overlap with the compares of the others.
    public static func accumulateBinarySearchInterleaved(_ values: UnsafeBufferPointer<Double>,
                                                         edges: UnsafeBufferPointer<Double>,
                                                         into counts: UnsafeMutableBufferPointer<UInt64>) {
        let slots = slotCount(edgeCount: edges.count)
        precondition(counts.count == slots)
        guard let base = values.baseAddress, values.count > 0, let edgeBase = edges.baseAddress else {
            accumulateScalar(values, edges: edges, into: counts)
            return
        }
        let n = edges.count
        // Steps of the search: the largest power of two ≤ n, halving down to 1.
        var topStep = 1
        while topStep * 2 <= n { topStep *= 2 }
        let lanes = 8
        let vectorCount = values.count / lanes * lanes
        let missing = SIMD8<Int64>(repeating: Int64(missingSlot(edgeCount: n)))
        let nonFinite = SIMD8<Int64>(repeating: Int64(nonFiniteSlot(edgeCount: n)))
        let infinity = SIMD8<Double>(repeating: .infinity)
        let raw = UnsafeRawPointer(base)
        var i = 0
        while i < vectorCount {
            let v = raw.loadUnaligned(fromByteOffset: i &* 8, as: SIMD8<Double>.self)
            // index = number of edges ≤ v, found by Shar's branch-free search:
            // first test the first (n − topStep) edges… as a jump, then halve.
            var index = SIMD8<Int64>(repeating: 0)
            let firstProbe = SIMD8<Double>(repeating: edgeBase[n - topStep])
            // If edges[n − topStep] ≤ v the answer is ≥ n − topStep + 1; search the top block.
            index.replace(with: SIMD8<Int64>(repeating: Int64(n - topStep + 1)), where: firstProbe .<= v)
            var step = topStep / 2
            while step > 0 {
                var probe = SIMD8<Double>()
                for lane in 0..<lanes {
                    probe[lane] = edgeBase[Int(index[lane]) &+ step &- 1]
                }
                index.replace(with: index &+ Int64(step), where: probe .<= v)
                step /= 2
            }
            index.replace(with: missing, where: v .!= v)
            index.replace(with: nonFinite, where: (v .== infinity) .| (v .== -infinity))
            for lane in 0..<lanes { counts[Int(index[lane])] &+= 1 }
            i &+= lanes
        }
        if vectorCount < values.count {
            accumulateScalar(UnsafeBufferPointer(rebasing: values[vectorCount...]), edges: edges, into: counts)
        }
    }

    @inline(__always)
    private static func flush(_ local: UnsafeMutableBufferPointer<UInt32>, lanes: Int, slots: Int,
                              into counts: UnsafeMutableBufferPointer<UInt64>) {
        for lane in 0..<lanes {
            for s in 0..<slots {
                counts[s] &+= UInt64(local[lane * slots + s])
                local[lane * slots + s] = 0
            }
        }
    }
}
