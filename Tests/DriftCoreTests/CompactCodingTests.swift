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
            let bytes = Array(r.utf8)
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

    /// The bytes the generic `Codable` path writes (what every stored state was written with).
    static func genericBytes<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = CompactEncoderState()
        encoder.bytes = CompactCoding.magic + [CompactCoding.version]
        try encoder.encodeValue(value, codingPath: [])
        return encoder.bytes
    }

    @Test("model states written directly are byte for byte what the Codable path writes, optional fields present or not")
    func directWritingMatchesCodable() throws {
        let pipeline = Self.runningPipeline()
        var checkpoint = try #require(pipeline.checkpoint.models?["shop"])
        #expect(!checkpoint.alerts.isEmpty && !checkpoint.state.panes.isEmpty)
        #expect(try CompactCoding.encode(checkpoint) == Self.genericBytes(checkpoint))

        // Every optional the synthesized coding leaves out when nil, set.
        var state = checkpoint.state
        state.maxEventTime = 1_764_000_000_000; state.lateBoundary = -5; state.nextWindow = 3; state.lastArrival = 42
        state.liveSince = 7; state.baselineVersion = "v-ü"
        state.suspects = [
            SuspectRecord(eventTime: 9, numeric: [1.5, -0.0, -.infinity], categorical: [2, -1], performance: 0.25, outcomeCell: 3,
                          secondary: -0.5, position: SourcePosition(partition: 2, offset: 1 << 40), heldFor: 4),
            SuspectRecord(eventTime: -9, numeric: [], categorical: [], performance: .infinity, outcomeCell: nil,
                          secondary: nil, position: SourcePosition(partition: -1, offset: 0), heldFor: 0),
        ]
        let key = try #require(state.panes.keys.first)
        state.panes[key]!.confusion = [1, 0, 3, 4]; state.panes[key]!.secondarySum = 2.5; state.panes[key]!.secondaryCount = 6
        state.panes[key]!.firstEventTime = 10; state.panes[key]!.lastEventTime = 20
        state.panes[-7] = PaneState(numeric: [], categorical: [], categoricalTypeErrors: [])
        checkpoint.state = state
        checkpoint.source = nil
        checkpoint.alerts[AlertFingerprint(model: "shop", feature: "", rule: "volume")] =
            AlertBook.Entry(state: .pending, severity: nil, breaches: 1, clears: 0, since: -2)
        #expect(try CompactCoding.encode(checkpoint) == Self.genericBytes(checkpoint))
        #expect(try CompactCoding.decode(ModelCheckpoint.self, from: CompactCoding.encode(checkpoint)) == checkpoint)
        #expect(try CompactCoding.encode(ModelMonitorState()) == Self.genericBytes(ModelMonitorState()))
    }

    @Test("window reports written directly are byte for byte what the Codable path writes, every optional set or not")
    func directReportsMatchCodable() throws {
        var pipeline = Self.runningPipeline()
        let reports = pipeline.takeOutput().reports
        #expect(reports.count == 3)
        for r in reports { #expect(try CompactCoding.encode(r) == Self.genericBytes(r)) }

        var full = try #require(reports.last)
        full.firstEventTime = 1; full.lastEventTime = 2; full.expectedRecords = 3.5; full.volumeRatio = 0.5; full.coverage = 1
        full.volumePValue = 0.01; full.performance = 0.9; full.baselinePerformance = 0.95; full.performanceMetric = .accuracy
        full.performanceFigures = PerformanceFigures(task: .classification, labelled: 10, accuracy: 0.9, precision: 0.8, recall: 0.7, f1: 0.75,
                                                     positiveRate: 0.4, logLoss: 0.3, threshold: 0.5, meanAbsoluteError: 1, rootMeanSquaredError: 2)
        full.performancePValue = 0.2
        full.modelDecisions = [Decision(rule: "volume", metric: .volumeRatio, value: 0.5, floor: 0.8, floorSource: .reference, test: "poisson_rate",
                                        pValue: 0.001, level: 0.01, verdict: .significant, severity: .critical),
                               Decision(rule: "x", metric: .psi, value: .nan, floor: 0.2, verdict: .insufficientData)]
        let categorical = try #require(full.features.firstIndex { $0.categorical != nil })
        full.features[categorical].categorical!.chiSquare = ChiSquareResult(statistic: .infinity, pValue: 0, degreesOfFreedom: 3, unseenCategories: 1)
        full.features[categorical].categorical!.maxShareChange = nil
        let numeric = try #require(full.features.firstIndex { $0.numeric != nil })
        full.features[numeric].numeric!.ks = nil
        full.features[numeric].decisions = nil
        #expect(try CompactCoding.encode(full) == Self.genericBytes(full))
        let empty = WindowReport(model: "m", windowIndex: 0, basis: .count, start: 0, end: 0, recordCount: 0, lateRecords: 0,
                                 baselineVersion: "", labelled: 0, features: [], status: .insufficientData)
        #expect(try CompactCoding.encode(empty) == Self.genericBytes(empty))
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
