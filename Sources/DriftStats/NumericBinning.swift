#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Frozen bin edges for a numeric feature, fitted once on the reference sample.
///
/// Edges are ascending and distinct. With edges `e₀ < e₁ < … < e_{k−1}` there are `k + 1` bins:
/// bin 0 is `(−∞, e₀)`, bin i is `[e_{i−1}, e_i)`, the last is `[e_{k−1}, +∞)`; the bin of a
/// value is the number of edges at or below it (numpy's `searchsorted(edges, v, side="right")`).
public struct NumericBinning: Sendable, Codable, Equatable, Hashable {
    /// The inner edges; the outer edges −∞ and +∞ are implicit.
    public let edges: [Double]

    public init(edges: [Double]) {
        precondition(zip(edges, edges.dropFirst()).allSatisfy { $0 < $1 }, "bin edges must be strictly ascending")
        self.edges = edges
    }

    public var binCount: Int { edges.count + 1 }

    /// Default number of PSI bins.
    public static let defaultBinCount = 10
    /// Bin counts `driftd` accepts for quantile binning.
    public static let allowedBinCounts = 2...64

    /// Quantile edges of a sorted, finite reference: the distinct values of numpy's linear
    /// quantiles at `1/k, 2/k, …, (k−1)/k` (the probabilities of `numpy.linspace(1/k, (k−1)/k, k−1)`).
    /// Ties collapse duplicate edges, so a reference with few distinct values gets fewer bins.
    /// An empty reference gets a single bin.
    public static func quantile(sortedReference: [Double], bins: Int = defaultBinCount) -> NumericBinning {
        precondition(allowedBinCounts.contains(bins), "bins must be in \(allowedBinCounts)")
        guard !sortedReference.isEmpty else { return NumericBinning(edges: []) }
        let k = Double(bins)
        let probabilities = Quantiles.linspace(1 / k, (k - 1) / k, count: bins - 1)
        var edges = [Double]()
        sortedReference.withUnsafeBufferPointer { sample in
            for p in probabilities {
                let q = Quantiles.linear(sorted: sample, probability: p)
                if edges.last != q { edges.append(q) }
            }
        }
        return NumericBinning(edges: edges)
    }

    /// The bin of a finite value (plain binary search; the kernels do the same over columns).
    public func bin(of value: Double) -> Int {
        var low = 0, high = edges.count
        while low < high {
            let mid = (low + high) / 2
            if edges[mid] <= value { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
