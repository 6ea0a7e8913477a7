@testable import DriftCore
import DriftStats
import DriftTesting
import Testing

/// Model-level signals: volume against the baseline's rate, silence closed on wall-clock
/// time, and performance where labels arrive.
@Suite("Model-level signals")
struct ModelSignalTests {
    static func feed(_ records: [String], into monitor: inout ModelMonitor, now: Int64) -> [WindowReport] {
        var decoder = RecordDecoder(schemas: [monitor.schema])
        for (i, r) in records.enumerated() {
            var bytes = Array(r.utf8)
            _ = bytes.withUnsafeMutableBufferPointer { decoder.decode(UnsafeBufferPointer($0), position: SourcePosition(partition: 0, offset: Int64(i))) }
        }
        return monitor.add(decoder.batches[0], now: now)
    }

    @Test("a traffic drop shows as volume against the baseline's rate and breaches the volume rule")
    func volume() throws {
        let reference = SyntheticStream(seed: 1)  // 10 records a second
        let reference_table = SampleTable.parsing(reference.text(6000))
        let span = Double(reference_table.eventTimeRange!.upperBound - reference_table.eventTimeRange!.lowerBound)
        let baseline = Baseline.fit(model: "shop", version: "v1", reference: reference_table, eventTimeSpanMilliseconds: span)
        #expect(isClose(baseline.eventRate!, 10, relative: 0.01))
        var monitor = ModelMonitor(baseline: baseline, configuration: WindowConfiguration(basis: .eventTime, size: 60_000, minimumSamples: 10))
        var quiet = SyntheticStream(seed: 2)
        quiet.spacingMilliseconds = 1000  // one record a second: a tenth of the usual traffic
        var reports = Self.feed(quiet.records(200), into: &monitor, now: 0)
        #expect(reports.count >= 2)
        let r = try #require(reports.first)
        #expect(isClose(r.volumeRatio!, 0.1, relative: 0.05))
        let findings = Evaluator.evaluate(&reports[0], rules: Rule.defaults)
        #expect(findings.first { $0.fingerprint.rule == "volume" }?.severity == .critical)
    }

    @Test("values of the wrong type are type errors, not missing values too")
    func typeErrorsAreNotMissing() throws {
        var monitor = ModelMonitor(baseline: SyntheticStream(seed: 1).baseline(records: 2000),
                                   configuration: WindowConfiguration(basis: .count, size: 100, minimumSamples: 10))
        let records = (0..<100).map { i in #"{"model":"shop","features":{"amount":"n/a","items":\#(i % 7 + 1),"channel":"web"}}"# }
        let reports = Self.feed(records, into: &monitor, now: 0)
        let amount = try #require(reports.first?.features.first { $0.name == "amount" }?.numeric)
        #expect(amount.typeErrorRate == 1)
        #expect(amount.missingRate == 0)
    }

    @Test("a model that goes silent still has its window closed, on wall-clock time")
    func idleClose() {
        let baseline = SyntheticStream(seed: 1).baseline(records: 2000)
        var monitor = ModelMonitor(baseline: baseline, configuration: WindowConfiguration(
            basis: .eventTime, size: 60_000, allowedLatenessMilliseconds: 5_000, idleCloseMilliseconds: 120_000, minimumSamples: 10))
        let stream = SyntheticStream(seed: 3)
        let reports = Self.feed(stream.records(300), into: &monitor, now: 1_000)  // 30 s of events
        #expect(reports.isEmpty, "the first window is still open")
        #expect(monitor.closeIdle(now: 60_000).isEmpty, "not idle long enough yet")
        let closed = monitor.closeIdle(now: 1_000 + 120_000)
        #expect(closed.count >= 1)
        #expect(closed.first?.recordCount == 300)
    }

    @Test("labels give a performance per window; a drop in accuracy breaches the performance rule")
    func performance() throws {
        func records(_ n: Int, correct: Double, seed: UInt64) -> [String] {
            var g = SeededGenerator(seed: seed)
            return (0..<n).map { i in
                let label = g.next() % 2 == 0 ? "yes" : "no"
                let right = Double(g.next() % 1000) / 1000 < correct
                let prediction = right ? label : (label == "yes" ? "no" : "yes")
                return #"{"model":"churn","features":{"x":\#(Double(g.next() % 100))},"prediction":"\#(prediction)","label":"\#(label)"}"#
            }
        }
        let baseline = Baseline.fit(model: "churn", version: "v1", reference: SampleTable.parsing(records(4000, correct: 0.9, seed: 1).joined(separator: "\n")))
        let performance = try #require(baseline.performance)
        #expect(performance.metric == .accuracy)
        #expect(isClose(performance.value, 0.9, relative: 0.03))
        var monitor = ModelMonitor(baseline: baseline, configuration: WindowConfiguration(basis: .count, size: 1000, minimumSamples: 10))
        var reports = Self.feed(records(1000, correct: 0.7, seed: 2), into: &monitor, now: 0)
        let r = try #require(reports.first)
        #expect(r.labelled == 1000)
        #expect(isClose(r.performance!, 0.7, relative: 0.05))
        let findings = Evaluator.evaluate(&reports[0], rules: Rule.defaults)
        #expect(findings.first { $0.fingerprint.rule == "performance" }?.severity == .critical)
    }
}
