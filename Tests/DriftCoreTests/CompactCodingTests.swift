@testable import DriftCore
import DriftStats
import DriftTesting
import Foundation
import Testing

/// The compact binary form of model states and baselines: every value comes back exactly
/// (NaN, optionals, dictionaries with non-string keys), it is much smaller than JSON, and a
/// damaged document is an error, never a crash.
@Suite("Compact coding")
struct CompactCodingTests {
    /// A pipeline with open panes, closed windows and firing alerts, fed a drifting stream.
    static func runningPipeline() -> Pipeline {
        let stream = SyntheticStream(seed: 3)
        let monitor = ModelMonitor(baseline: stream.baseline(records: 2000), configuration: WindowConfiguration(basis: .count, size: 500))
        var pipeline = Pipeline(source: "test", monitors: [monitor], rules: ["shop": Rule.defaults])
        for (i, r) in SyntheticStream(seed: 4, driftFrom: 600).records(1_730).enumerated() {
            var bytes = Array(r.utf8)
            bytes.withUnsafeBufferPointer { pipeline.ingest($0, position: SourcePosition(partition: 0, offset: Int64(i))) }
        }
        pipeline.flush(now: 0)
        return pipeline
    }

    @Test("a pipeline checkpoint with open panes and firing alerts comes back equal, smaller than its JSON")
    func checkpointRoundTrip() throws {
        let pipeline = Self.runningPipeline()
        let checkpoint = pipeline.checkpoint
        #expect(!pipeline.alertBook.firing.isEmpty, "the stream drifted: alerts fire")
        #expect(!(checkpoint.models?["shop"]?.state.panes.isEmpty ?? true), "a window is open")
        let compact = try CompactCoding.encode(checkpoint)
        #expect(try CompactCoding.decode(PipelineCheckpoint.self, from: compact) == checkpoint)
        let json = try JSONEncoder().encode(checkpoint)
        #expect(compact.count < json.count, "compact \(compact.count) bytes, JSON \(json.count)")
    }

    @Test("a baseline (bins, grids, categories, calibration) comes back equal")
    func baselineRoundTrip() throws {
        let baseline = SyntheticStream(seed: 9).timedBaseline(records: 3000)
        let decoded = try CompactCoding.decode(Baseline.self, from: try CompactCoding.encode(baseline))
        let json = JSONEncoder()
        json.outputFormatting = .sortedKeys
        json.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        #expect(try json.encode(decoded) == json.encode(baseline))
    }

    struct Odd: Codable, Equatable {
        enum Shape: Codable, Equatable { case none, point(x: Double, label: String?), many([Int32]) }
        var nan = Double.nan
        var infinity = -Double.infinity
        var optional: Int64? = nil
        var present: UInt8? = 7
        var byNumber: [Int64: String] = [-3: "minus three", 1 << 40: "big"]
        var shapes: [Shape] = [.none, .point(x: -0.0, label: nil), .many([Int32.min, 0, 0, 0, Int32.max])]
        var sparse: [UInt64] = [0, 0, 0, UInt64.max, 0, 1]
        var signed: [Int64] = [Int64.min, -1, 0, Int64.max]
        var empty: [Double] = []
        var text = "grüße, \"quoted\"\n"
        var date = Date(timeIntervalSince1970: 1_764_000_000.125)
        static func == (a: Odd, b: Odd) -> Bool {
            a.nan.isNaN && b.nan.isNaN && a.infinity == b.infinity && a.optional == b.optional && a.present == b.present
                && a.byNumber == b.byNumber && a.shapes == b.shapes && a.sparse == b.sparse && a.signed == b.signed
                && a.empty == b.empty && a.text == b.text && a.date == b.date
        }
    }

    @Test("NaN, infinities, nil, integer-keyed dictionaries, enums with payloads, extreme integers and text survive")
    func edgeValues() throws {
        let odd = Odd()
        #expect(try CompactCoding.decode(Odd.self, from: try CompactCoding.encode(odd)) == odd)
    }

    @Test("a truncated, corrupted or foreign document is an error, never a crash")
    func damaged() throws {
        let bytes = try CompactCoding.encode(Self.runningPipeline().checkpoint)
        for cut in stride(from: 0, to: bytes.count, by: Swift.max(1, bytes.count / 300)) {
            #expect(throws: (any Error).self) { try CompactCoding.decode(PipelineCheckpoint.self, from: Array(bytes.prefix(cut))) }
        }
        var g = SeededGenerator(seed: 5)
        for _ in 0..<300 {
            var damaged = bytes
            for _ in 0..<3 { damaged[4 + Int(g.next() % UInt64(damaged.count - 4))] = UInt8(truncatingIfNeeded: g.next()) }
            _ = try? CompactCoding.decode(PipelineCheckpoint.self, from: damaged)
        }
        #expect(throws: (any Error).self) { try CompactCoding.decode(PipelineCheckpoint.self, from: Array("{\"line\":1}".utf8)) }
        var future = bytes
        future[3] = 9
        #expect(throws: (any Error).self) { try CompactCoding.decode(PipelineCheckpoint.self, from: future) }
    }
}
