#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// ``Moments`` whose floating-point result depends only on the sequence of values added,
/// never on how they were split into columns: values are summarised in fixed blocks of 64
/// (each block with the vector kernel, then merged in order), and an unfinished block waits
/// in ``pending``. A stream processed in any batch sizes, or stopped at a checkpoint and
/// resumed, therefore gives bit-identical means — what crash equivalence needs.
public struct BlockedMoments: Sendable, Codable, Equatable {
    public static let blockSize = 64
    public private(set) var settled: Moments = .zero
    /// Finite values of the unfinished block, in arrival order.
    public private(set) var pending: [Double] = []

    public static let zero = BlockedMoments()
    public init() {}

    public mutating func add(_ column: UnsafeBufferPointer<Double>) {
        if pending.capacity < Self.blockSize { pending.reserveCapacity(Self.blockSize) }
        for v in column where v.isFinite {
            pending.append(v)
            if pending.count == Self.blockSize { settlePending() }
        }
    }

    private mutating func settlePending() {
        var m = Moments.zero
        pending.withUnsafeBufferPointer { m.add($0) }
        settled.merge(m)
        pending.removeAll(keepingCapacity: true)
    }

    /// All values so far, the unfinished block included.
    public var moments: Moments {
        guard !pending.isEmpty else { return settled }
        var m = Moments.zero
        pending.withUnsafeBufferPointer { m.add($0) }
        return settled.merged(with: m)
    }

    /// Merging panes: the other side's settled blocks and then its pending values.
    public func merged(with other: BlockedMoments) -> BlockedMoments {
        var r = BlockedMoments()
        r.settled = moments.merged(with: other.moments)
        return r
    }
}
