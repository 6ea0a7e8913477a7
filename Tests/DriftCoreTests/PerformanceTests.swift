@testable import DriftCore
import DriftStats
import DriftTesting
import Foundation
import Testing

/// Labels and performance: the task inferred from the labels, the classification and
/// regression figures, and a performance alert only on enough labels and a significant drop.
@Suite("Model performance")
struct PerformanceTests {
    /// Records with a score and a 0/1 label that agrees with the score's class `accuracy` of the time.
    static func scored(_ count: Int, accuracy: Double, seed: UInt64) -> [String] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { i in
            let score = (Double(g.next() % 1000) / 1000 * 1000).rounded() / 1000
            let right = Double(g.next() % 10_000) / 10_000 < accuracy
            let label = (score >= 0.5) == right ? 1 : 0
            return "{\"model\":\"m\",\"id\":\"r\(i)\",\"features\":{\"x\":\(Double(g.next() % 100))},\"prediction\":\(score),\"label\":\(label)}"
        }
    }

    static func report(_ records: [String], baseline: Baseline, window: Int) -> WindowReport? {
        var monitor = ModelMonitor(baseline: baseline, configuration: WindowConfiguration(basis: .count, size: Int64(window)))
        var decoder = RecordDecoder(schemas: [monitor.schema])
        for (i, r) in records.enumerated() {
            var bytes = Array(r.utf8)
            _ = bytes.withUnsafeMutableBufferPointer { decoder.decode(UnsafeBufferPointer($0), position: SourcePosition(partition: 0, offset: Int64(i))) }
        }
        return monitor.add(decoder.batches[0], now: 0).first
    }

    @Test("0/1 labels with scores are a classification: accuracy, precision, recall, F1, positive rate and log loss")
    func classification() throws {
        let reference = Self.scored(4000, accuracy: 0.9, seed: 1)
        let baseline = Baseline.fit(model: "m", version: "v1", reference: .parsing(reference.joined(separator: "\n")))
        #expect(baseline.performance?.metric == .accuracy && baseline.performance?.threshold == 0.5)
        let window = Self.scored(1000, accuracy: 0.8, seed: 2)
        let figures = try #require(Self.report(window, baseline: baseline, window: 1000)?.performanceFigures)
        // The same figures counted directly from the records.
        var tp = 0.0, fp = 0.0, fn = 0.0, tn = 0.0, loss = 0.0
        for r in window {
            let object = try JSONValue.parse(r)
            let score = object["prediction"]!.number!, label = object["label"]!.number!
            switch (score >= 0.5, label == 1) {
            case (true, true): tp += 1
            case (true, false): fp += 1
            case (false, true): fn += 1
            case (false, false): tn += 1
            }
            let p = Swift.min(Swift.max(score, 1e-15), 1 - 1e-15)
            loss += label == 1 ? -log(p) : -log(1 - p)
        }
        #expect(figures.task == .classification && figures.labelled == 1000)
        #expect(isClose(figures.accuracy ?? 0, (tp + tn) / 1000, relative: 1e-12, absolute: 0))
        #expect(isClose(figures.precision ?? 0, tp / (tp + fp), relative: 1e-12, absolute: 0))
        #expect(isClose(figures.recall ?? 0, tp / (tp + fn), relative: 1e-12, absolute: 0))
        let p = tp / (tp + fp), r = tp / (tp + fn)
        #expect(isClose(figures.f1 ?? 0, 2 * p * r / (p + r), relative: 1e-12, absolute: 0))
        #expect(isClose(figures.positiveRate ?? 0, (tp + fp) / 1000, relative: 1e-12, absolute: 0))
        #expect(isClose(figures.logLoss ?? 0, loss / 1000, relative: 1e-9, absolute: 0))
    }

    @Test("numbers are a regression (MAE and RMSE); task: overrides the inference")
    func regressionAndOverride() throws {
        var g = SeededGenerator(seed: 5)
        let records = (0..<600).map { i -> String in
            let y = Double(g.next() % 1000) / 10, e = Double(Int(g.next() % 200) - 100) / 10
            return "{\"model\":\"m\",\"features\":{\"x\":\(i % 7)},\"prediction\":\(y + e),\"label\":\(y)}"
        }
        let baseline = Baseline.fit(model: "m", version: "v1", reference: .parsing(records.joined(separator: "\n")))
        #expect(baseline.performance?.metric == .meanAbsoluteError && baseline.performance?.standardDeviation != nil)
        let figures = try #require(Self.report(records, baseline: baseline, window: 600)?.performanceFigures)
        var absolute = 0.0, squared = 0.0
        for r in records {
            let o = try JSONValue.parse(r)
            let e = o["prediction"]!.number! - o["label"]!.number!
            absolute += Swift.abs(e); squared += e * e
        }
        #expect(isClose(figures.meanAbsoluteError ?? 0, absolute / 600, relative: 1e-9, absolute: 0))
        #expect(isClose(figures.rootMeanSquaredError ?? 0, (squared / 600).squareRoot(), relative: 1e-9, absolute: 0))

        let binary = Self.scored(500, accuracy: 0.9, seed: 6).joined(separator: "\n")
        let asRegression = Baseline.fit(model: "m", version: "v1", reference: .parsing(binary), task: .regression)
        #expect(asRegression.performance?.metric == .meanAbsoluteError)
    }

    @Test("a performance alert needs 100 labels and a significant drop beyond the floor")
    func significantDrop() throws {
        let baseline = Baseline.fit(model: "m", version: "v1", reference: .parsing(Self.scored(4000, accuracy: 0.9, seed: 1).joined(separator: "\n")))
        func severity(_ records: [String]) throws -> (AlertSeverity?, Decision.Verdict?) {
            var report = try #require(Self.report(records, baseline: baseline, window: records.count))
            let finding = Evaluator.evaluate(&report, rules: Rule.defaults).first { $0.fingerprint.rule == "performance" }
            return (finding?.severity, report.modelDecisions?.first { $0.rule == "performance" }?.verdict)
        }
        // 80 labels with a large drop: too few to judge.
        #expect(try severity(Self.scored(80, accuracy: 0.5, seed: 7)) == (nil, .insufficientData))
        // 130 labels, 6 points down: within noise.
        #expect(try severity(Self.scored(130, accuracy: 0.84, seed: 8)).0 == nil)
        // 2,000 labels, 20 points down: critical.
        #expect(try severity(Self.scored(2000, accuracy: 0.7, seed: 9)) == (.critical, .significant))
    }
}
