import Benchmark
import DriftCore
import DriftStore
import Foundation

/// A commit point's store work (issue 14): 1,000 window reports of 21 features each (16
/// numeric, 4 categorical, the prediction) and the 1,000 model states that produced them,
/// encoded and written in one transaction — what `driftd run` does when 1,000 models'
/// windows close together. One iteration is one commit point into a fresh store file.
let models = 1_000

func record(model: Int, _ i: Int, _ state: inout UInt64) -> String {
    func next() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(1 << 53)
    }
    var features: [String] = []
    for k in 0..<16 { features.append("\"f\(k < 10 ? "0" : "")\(k)\":\(((next() * 10 - 5) * 100_000).rounded() / 100_000)") }
    let c0 = ["a", "b", "c", "d", "e"][Int(next() * 5)]
    features.append("\"c0\":\"\(c0)\",\"c1\":\"k\(Int(next() * 20))\",\"c2\":\"v\(Int(next() * 90))\",\"c3\":\(next() < 0.3)")
    return "{\"model\":\"m\(model)\",\"ts\":\(1_764_100_000_000 + i * 5),\"features\":{\(features.joined(separator: ","))},\"prediction\":\(next())}"
}

/// A commit point's output and checkpoint: every model's window closed once, and a second
/// window left open (its pane is in the state written).
let commitPoint: (PipelineOutput, PipelineCheckpoint) = {
    var state: UInt64 = 7
    var text = ""
    for i in 0..<5_000 { text += record(model: 0, i, &state) + "\n" }
    var bytes = Array(text.utf8)
    let table = bytes.withUnsafeMutableBufferPointer { SampleTableReader.jsonLines(UnsafeBufferPointer($0)) }
    let reference = Baseline.fit(model: "m0", version: "bench", reference: table)
    let monitors = (0..<models).map { m -> ModelMonitor in
        var b = reference
        b.model = "m\(m)"
        return ModelMonitor(baseline: b, configuration: WindowConfiguration(basis: .count, size: 100))
    }
    var pipeline = Pipeline(source: "bench", monitors: monitors, rules: [:])
    for i in 0..<150 {
        for m in 0..<models {
            var line = Array(record(model: m, i, &state).utf8)
            line.withUnsafeBufferPointer { pipeline.ingest($0, position: SourcePosition(partition: 0, offset: Int64(i * models + m))) }
        }
    }
    pipeline.flush(now: 0)
    let output = pipeline.takeOutput()
    precondition(output.reports.count == models)
    return (output, pipeline.takeCheckpoint())
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark("store commit of 1,000 window reports and model states (wall clock per commit point)",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident], timeUnits: .milliseconds,
                                   scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 20)) { benchmark in
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("driftd-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try AlertStore(path: folder + "/store.sqlite")
        let (output, checkpoint) = commitPoint
        benchmark.startMeasurement()
        try store.commit(output, checkpoint: checkpoint, source: "bench")
        benchmark.stopMeasurement()
    }

    Benchmark("encode 1,000 model states (compact form)",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal], timeUnits: .milliseconds, scalingFactor: .one, maxIterations: 20)) { benchmark in
        let states = Array((commitPoint.1.models ?? [:]).values)
        benchmark.startMeasurement()
        for s in states { blackHole(try CompactCoding.encode(s).count) }
        benchmark.stopMeasurement()
    }

    Benchmark("encode 1,000 window reports (compact form)",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal], timeUnits: .milliseconds, scalingFactor: .one, maxIterations: 20)) { benchmark in
        benchmark.startMeasurement()
        for r in commitPoint.0.reports { blackHole(try CompactCoding.encode(r).count) }
        benchmark.stopMeasurement()
    }
}
