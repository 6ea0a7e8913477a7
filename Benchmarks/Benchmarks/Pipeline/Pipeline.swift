import Benchmark
import DriftCore
import Foundation

/// The hot path on W1-shaped records (16 numeric features, 4 categorical, a prediction,
/// ≈ 360 bytes): decoding alone, and decoding with accumulation into windows. 10,000
/// records per iteration; with a scaling factor of 10,000 the throughput reads as records
/// per second and mallocs as mallocs per record after warm-up.
let recordsPerIteration = 10_000

func w1Record(_ i: Int, _ state: inout UInt64) -> String {
    func next() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(1 << 53)
    }
    var features: [String] = []
    for k in 0..<16 { features.append("\"f\(k < 10 ? "0" : "")\(k)\":\(((next() * 10 - 5) * 100_000).rounded() / 100_000)") }
    let c0 = ["a", "b", "c", "d", "e"][Int(next() * 5)]
    features.append("\"c0\":\"\(c0)\",\"c1\":\"k\(String(format: "%02d", Int(next() * 20)))\",\"c2\":\"v0\(Int(next() * 90) + 10)\",\"c3\":\(next() < 0.3)")
    return "{\"model\":\"w1\",\"model_version\":\"1.0\",\"id\":\"s2-\(i)\",\"ts\":\(1_764_100_000_000 + i * 5),\"features\":{\(features.joined(separator: ","))},\"prediction\":\((next() * 1_000_000).rounded() / 1_000_000)}"
}

let records: [[UInt8]] = {
    var state: UInt64 = 42
    return (0..<recordsPerIteration).map { Array(w1Record($0, &state).utf8) }
}()

let baseline: Baseline = {
    var builder = ""
    var state: UInt64 = 7
    for i in 0..<20_000 { builder += w1Record(i, &state) + "\n" }
    var bytes = Array(builder.utf8)
    let table = bytes.withUnsafeMutableBufferPointer { SampleTableReader.jsonLines(UnsafeBufferPointer($0)) }
    return Baseline.fit(model: "w1", version: "bench", reference: table)
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        timeUnits: .milliseconds,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 50
    )

    Benchmark("decode W1 records (records/s ÷ 10)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let monitor = ModelMonitor(baseline: baseline, configuration: WindowConfiguration(basis: .count, size: 50_000))
        var decoder = RecordDecoder(schemas: [monitor.schema])
        // Warm-up: batch buffers reach their steady capacity.
        for r in records { r.withUnsafeBufferPointer { _ = decoder.decode($0, position: SourcePosition(partition: 0, offset: 0)) } }
        decoder.clearBatches()
        benchmark.startMeasurement()
        for r in records { r.withUnsafeBufferPointer { _ = decoder.decode($0, position: SourcePosition(partition: 0, offset: 0)) } }
        benchmark.stopMeasurement()
        blackHole(decoder.batches[0].rowCount)
    }

    Benchmark("decode + accumulate into windows (records/s ÷ 10)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let monitor = ModelMonitor(baseline: baseline, configuration: WindowConfiguration(basis: .count, size: 1_000_000))
        var pipeline = Pipeline(source: "bench", monitors: [monitor], rules: [:])
        for (i, r) in records.enumerated() { r.withUnsafeBufferPointer { pipeline.ingest($0, position: SourcePosition(partition: 0, offset: Int64(i))) } }
        pipeline.flush(now: 0)
        benchmark.startMeasurement()
        for (i, r) in records.enumerated() { r.withUnsafeBufferPointer { pipeline.ingest($0, position: SourcePosition(partition: 0, offset: Int64(i))) } }
        pipeline.flush(now: 0)
        benchmark.stopMeasurement()
        blackHole(pipeline.counters.records)
    }

    // Many models closing their windows at one commit point (issue 14): 1,000 models of W1's
    // 21 features, count windows of 100 records; the measured part feeds each model its
    // 100th record, which closes and evaluates its window. The wall clock of one iteration is
    // the time to close 1,000 windows.
    Benchmark("close 1,000 models' windows at once (wall clock per 1,000 windows)",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal], scalingFactor: .one, maxIterations: 10)) { benchmark in
        let models = 1_000
        let monitors = (0..<models).map { m -> ModelMonitor in
            var b = baseline
            b.model = "m\(m)"
            return ModelMonitor(baseline: b, configuration: WindowConfiguration(basis: .count, size: 100))
        }
        var pipeline = Pipeline(source: "bench", monitors: monitors, rules: [:])
        let renamed: [[UInt8]] = (0..<models).map { m in
            Array(String(decoding: records[m % records.count], as: UTF8.self).replacingOccurrences(of: "\"model\":\"w1\"", with: "\"model\":\"m\(m)\"").utf8)
        }
        for _ in 0..<99 { for (m, r) in renamed.enumerated() { r.withUnsafeBufferPointer { pipeline.ingest($0, position: SourcePosition(partition: 0, offset: Int64(m))) } } }
        pipeline.flush(now: 0)
        benchmark.startMeasurement()
        for (m, r) in renamed.enumerated() { r.withUnsafeBufferPointer { pipeline.ingest($0, position: SourcePosition(partition: 0, offset: Int64(m))) } }
        pipeline.flush(now: 0)
        benchmark.stopMeasurement()
        precondition(pipeline.counters.windowsClosed == Int64(models))
        blackHole(pipeline.takeOutput().reports.count)
    }
}

