#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Quantiles with numpy's conventions, so that bin edges match numpy bit for bit.
public enum Quantiles {
    /// `numpy.linspace(start, stop, count)` (endpoint included): `start + i·step` with
    /// `step = (stop − start) / (count − 1)`, and the last point set to `stop` exactly.
    public static func linspace(_ start: Double, _ stop: Double, count: Int) -> [Double] {
        precondition(count >= 0, "linspace needs a non-negative count")
        if count == 0 { return [] }
        if count == 1 { return [start] }
        let div = Double(count - 1)
        let delta = stop - start
        let step = delta / div
        var points = [Double]()
        points.reserveCapacity(count)
        for i in 0..<count {
            let y = step == 0 ? (Double(i) / div) * delta : Double(i) * step
            points.append(y + start)
        }
        points[count - 1] = stop
        return points
    }

    /// `numpy.quantile(sample, p, method="linear")` (Hyndman–Fan type 7) of a sorted,
    /// NaN-free, non-empty sample: virtual index `(n − 1)·p`, and numpy's `_lerp`, which
    /// interpolates from the upper neighbour when the weight is ≥ 0.5.
    public static func linear(sorted: UnsafeBufferPointer<Double>, probability p: Double) -> Double {
        let n = sorted.count
        precondition(n > 0, "a quantile of an empty sample is undefined")
        let virtualIndex = Double(n - 1) * p
        if virtualIndex >= Double(n - 1) { return sorted[n - 1] }
        if virtualIndex < 0 { return sorted[0] }
        let previous = virtualIndex.rounded(.down)
        let lower = Int(previous)
        let gamma = virtualIndex - previous
        let a = sorted[lower], b = sorted[lower + 1]
        let diff = b - a
        return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma
    }

    public static func linear(sorted: [Double], probability p: Double) -> Double {
        sorted.withUnsafeBufferPointer { linear(sorted: $0, probability: p) }
    }
}
