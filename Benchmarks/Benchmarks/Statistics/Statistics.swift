import Benchmark
import DriftStats

/// Hot-path kernels of the statistics core, each SIMD kernel beside its scalar twin in the
/// same run, so the ratio holds on a noisy machine. Every benchmark processes one column of
/// `valuesPerIteration` values per iteration; with a scaling factor of one million, the
/// reported throughput reads as values per second.
/// Mallocs are counted: the kernels must allocate nothing per value.
let valuesPerIteration = 1_000_000

/// A column like real features: normal values, a sprinkle of NaN (missing).
let column: [Double] = {
    var state: UInt64 = 0x9E3779B97F4A7C15
    func next() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(1 << 53)
    }
    return (0..<valuesPerIteration).map { i in i % 97 == 0 ? .nan : (next() + next() + next() + next() - 2) * 1.7 }
}()
let sortedFinite = column.filter(\.isFinite).sorted()
/// Decile edges (9) as PSI uses, and a 1,000-point fine grid as KS/Wasserstein streaming uses.
let decileEdges = NumericBinning.quantile(sortedReference: sortedFinite, bins: 10).edges
let gridEdges: [Double] = {
    var e = [Double]()
    for k in 0..<1000 {
        let q = Quantiles.linear(sorted: sortedFinite, probability: Double(k) / 999)
        if e.last != q { e.append(q) }
    }
    return e
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        timeUnits: .milliseconds,
        scalingFactor: .mega,
        maxDuration: .seconds(3),
        maxIterations: 40
    )

    func binning(_ name: String, edges: [Double], kernel: @escaping (UnsafeBufferPointer<Double>, UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<UInt64>) -> Void) {
        Benchmark(name) { benchmark in
            var counts = [UInt64](repeating: 0, count: BinCountingKernel.slotCount(edgeCount: edges.count))
            column.withUnsafeBufferPointer { c in
                edges.withUnsafeBufferPointer { e in
                    counts.withUnsafeMutableBufferPointer { out in
                        benchmark.startMeasurement()
                        kernel(c, e, out)  // one pass over the 1M-value column
                        benchmark.stopMeasurement()
                    }
                }
            }
            blackHole(counts)
        }
    }

    binning("PSI binning, 9 edges, SIMD (values/s)", edges: decileEdges, kernel: BinCountingKernel.accumulateLinearSIMD)
    binning("PSI binning, 9 edges, scalar (values/s)", edges: decileEdges, kernel: BinCountingKernel.accumulateScalar)
    binning("grid counting, 1000 edges, SIMD (values/s)", edges: gridEdges, kernel: BinCountingKernel.accumulateBinarySearchInterleaved)
    binning("grid counting, 1000 edges, scalar (values/s)", edges: gridEdges, kernel: BinCountingKernel.accumulateScalar)

    func moments(_ name: String, _ add: @escaping @Sendable (inout Moments, UnsafeBufferPointer<Double>) -> Void) {
        Benchmark(name) { benchmark in
            var m = Moments.zero
            column.withUnsafeBufferPointer { c in
                benchmark.startMeasurement()
                add(&m, c)  // one pass over the 1M-value column
                benchmark.stopMeasurement()
            }
            blackHole(m)
        }
    }

    moments("moments, SIMD (values/s)") { $0.add($1) }
    moments("moments, scalar Welford (values/s)") { $0.addScalar($1) }
    Benchmark("histogram accumulator add, 9 edges (values/s)") { benchmark in
        var h = HistogramAccumulator.zero(binCount: decileEdges.count + 1)
        column.withUnsafeBufferPointer { c in
            decileEdges.withUnsafeBufferPointer { e in
                benchmark.startMeasurement()
                h.add(c, edges: e)  // one pass over the 1M-value column
                benchmark.stopMeasurement()
            }
        }
        blackHole(h)
    }
}
