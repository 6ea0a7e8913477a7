#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Sorting samples for the exact statistics (KS, Wasserstein, quantile edges). An LSD radix
/// sort on the IEEE-754 bit patterns, mapped so that unsigned order is numeric order: about
/// ten times faster than a comparison sort on the million-value columns `compare` sees.
public enum RadixSort {
    /// The finite values of `column` (NaN and ±∞ dropped), in ascending order.
    /// -0.0 sorts before +0.0; they compare equal, so no statistic can tell.
    public static func sortedFiniteValues(_ column: UnsafeBufferPointer<Double>) -> [Double] {
        var finite = 0
        for v in column where v.isFinite { finite += 1 }
        let n = finite
        if n < 256 {
            var small = column.filter(\.isFinite)
            small.sort()
            return small
        }
        let bitsPerPass = 11, passes = 6, radix = 1 << bitsPerPass
        var keys = [UInt64](unsafeUninitializedCapacity: n) { k, count in
            var i = 0
            for v in column where v.isFinite { k[i] = orderedKey(v); i += 1 }
            count = n
        }
        // The result array is the second buffer of the ping-pong passes.
        return [Double](unsafeUninitializedCapacity: n) { result, count in
            result.withMemoryRebound(to: UInt64.self) { storage in
                // The array's storage may be larger than asked for: use exactly n slots.
                let other = UnsafeMutableBufferPointer(rebasing: storage[0..<n])
                keys.withUnsafeMutableBufferPointer { first in
                    var source = first, target = other
                    // On the heap: 96 KiB is too much for a cooperative thread's stack.
                    var histogramStorage = [Int](repeating: 0, count: radix * passes)
                    histogramStorage.withUnsafeMutableBufferPointer { histogram in
                        // One pass over the data fills all six histograms.
                        for k in source {
                            for p in 0..<passes { histogram[p &* radix &+ Int((k >> UInt64(p &* bitsPerPass)) & UInt64(radix - 1))] &+= 1 }
                        }
                        for p in 0..<passes {
                            let shift = UInt64(p * bitsPerPass)
                            // Skip a pass where every key has the same digit.
                            if histogram[(p * radix)..<((p + 1) * radix)].contains(n) { continue }
                            var sum = 0
                            for d in 0..<radix { let c = histogram[p * radix + d]; histogram[p * radix + d] = sum; sum += c }
                            for k in source {
                                let d = p &* radix &+ Int((k >> shift) & UInt64(radix - 1))
                                target[histogram[d]] = k
                                histogram[d] &+= 1
                            }
                            swap(&source, &target)
                        }
                    }
                    // Keys back to values, landing in the result buffer.
                    for i in 0..<n { other[i] = value(ofKey: source[i]).bitPattern }
                }
            }
            count = n
        }
    }

    public static func sortedFiniteValues(_ column: [Double]) -> [Double] {
        column.withUnsafeBufferPointer { sortedFiniteValues($0) }
    }

    /// Flips the sign bit of positives and every bit of negatives.
    @inline(__always) static func orderedKey(_ v: Double) -> UInt64 {
        let bits = v.bitPattern
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }

    @inline(__always) static func value(ofKey k: UInt64) -> Double {
        Double(bitPattern: k & (1 << 63) != 0 ? k & ~(1 << 63) : ~k)
    }
}
