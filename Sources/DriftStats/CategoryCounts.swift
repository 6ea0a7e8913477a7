#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Counts per category code for a categorical feature. Codes are small integers assigned
/// by the decoder (an interner or a baseline's category slots); `-1` marks a missing value.
/// Mergeable by addition; a code beyond the current size grows the table.
public struct CategoryCounts: Sendable, Codable, Equatable, Hashable {
    public private(set) var counts: [UInt64]
    public private(set) var missing: UInt64

    public static func zero(categoryCount: Int = 0) -> CategoryCounts {
        CategoryCounts(counts: Array(repeating: 0, count: categoryCount), missing: 0)
    }

    public init(counts: [UInt64], missing: UInt64) { self.counts = counts; self.missing = missing }

    public var total: UInt64 { counts.reduce(0, &+) }

    /// Four interleaved sub-tables, so that runs of the same code do not serialise on one
    /// counter; the codes' range is checked once per column, not per value.
    public mutating func add(_ codes: UnsafeBufferPointer<Int32>) {
        guard !codes.isEmpty else { return }
        var largest: Int32 = -1
        for c in codes where c > largest { largest = c }
        if Int(largest) >= counts.count { counts.append(contentsOf: repeatElement(0, count: Int(largest) + 1 - counts.count)) }
        let size = counts.count + 1  // slot 0 holds missing, code c is at c + 1
        // Small tables on the stack; large ones on the heap (a big stack allocation on a
        // thread with a small stack can jump its guard page).
        if size * 4 <= 2048 {
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: size * 4) { countInto($0, codes, size: size) }
        } else {
            var heap = [UInt64](repeating: 0, count: size * 4)
            heap.withUnsafeMutableBufferPointer { countInto($0, codes, size: size) }
        }
    }

    private mutating func countInto(_ local: UnsafeMutableBufferPointer<UInt64>, _ codes: UnsafeBufferPointer<Int32>, size: Int) {
        local.initialize(repeating: 0)
        let unrolled = codes.count / 4 * 4
        var i = 0
        while i < unrolled {
            local[Int(Swift.max(codes[i], -1)) &+ 1] &+= 1
            local[size &+ Int(Swift.max(codes[i &+ 1], -1)) &+ 1] &+= 1
            local[2 &* size &+ Int(Swift.max(codes[i &+ 2], -1)) &+ 1] &+= 1
            local[3 &* size &+ Int(Swift.max(codes[i &+ 3], -1)) &+ 1] &+= 1
            i &+= 4
        }
        while i < codes.count { local[Int(Swift.max(codes[i], -1)) &+ 1] &+= 1; i &+= 1 }
        for t in 0..<4 {
            missing &+= local[t * size]
            for c in 0..<counts.count { counts[c] &+= local[t * size + c + 1] }
        }
    }

    /// One code at a time: the reference for ``add(_:)``.
    public mutating func addScalar(_ codes: UnsafeBufferPointer<Int32>) {
        for c in codes {
            if c < 0 { missing &+= 1; continue }
            if Int(c) >= counts.count { counts.append(contentsOf: repeatElement(0, count: Int(c) + 1 - counts.count)) }
            counts[Int(c)] &+= 1
        }
    }

    public mutating func merge(_ o: CategoryCounts) {
        if o.counts.count > counts.count { counts.append(contentsOf: repeatElement(0, count: o.counts.count - counts.count)) }
        for c in o.counts.indices { counts[c] &+= o.counts[c] }
        missing &+= o.missing
    }

    public func merged(with o: CategoryCounts) -> CategoryCounts { var r = self; r.merge(o); return r }
}
