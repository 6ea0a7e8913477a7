@testable import DriftCore
import DriftStats
import DriftTesting
import Testing

/// `threshold: auto`: how far each statistic moves by chance between windows of the
/// reference itself, each piece judged against the rest of the reference, never itself.
@Suite("Reference-calibrated thresholds")
struct ReferenceCalibrationTests {
    static let reference = SampleTable.parsing(SyntheticStream(seed: 31).text(8000))
    static let baseline = Baseline.fit(model: "shop", version: "v1", reference: reference)

    @Test("pieces of one window are compared with the rest of the reference, left out of it")
    func leaveOut() throws {
        let calibration = try #require(ReferenceCalibration.fit(baseline: Self.baseline, reference: Self.reference, windowRecords: 200))
        #expect(calibration.pieces == 40 && calibration.windowRecords == 200)
        let ks = try #require(calibration.maximum(.ksStatistic, feature: "amount"))
        let psi = try #require(calibration.maximum(.psi, feature: "amount"))
        // The largest of 40 null KS D at n = 200 against 7,800: about 1.2–1.9 / √200.
        #expect(ks > 0.06 && ks < 0.2, "\(ks)")
        #expect(psi > 0.02 && psi < 0.5, "\(psi)")
        #expect(calibration.maximum(.categoryShareChange, feature: "channel").map { $0 > 0 && $0 < 0.2 } == true)

        // Judged against the whole reference, a piece partly judges itself and looks calmer:
        // that is the bias leaving it out avoids.
        guard case .numeric(let profile)? = Self.baseline.feature(named: "amount")?.profile else { Issue.record("amount is numeric"); return }
        let column = try #require(Self.reference.column(named: "amount"))
        var inSample = 0.0
        for k in 0..<40 {
            var window = profile.emptyAccumulator
            Array(column.numbers[(k * 200)..<(k * 200 + 200)]).withUnsafeBufferPointer { window.add($0, profile: profile) }
            inSample = Swift.max(inSample, NumericDriftStatistics.compute(window, profile: profile).ks?.statistic ?? 0)
        }
        #expect(ks >= inSample, "left out \(ks), in sample \(inSample)")
    }

    @Test("a reference shorter than two windows is not calibrated")
    func tooShort() {
        #expect(ReferenceCalibration.fit(baseline: Self.baseline, reference: Self.reference, windowRecords: 5000) == nil)
    }

    @Test("a rule with threshold: auto warns only above what the reference's pieces reached, and says so")
    func automaticRule() throws {
        var baseline = Self.baseline
        baseline.calibration = ReferenceCalibration.fit(baseline: baseline, reference: Self.reference, windowRecords: 500)
        let observed = try #require(baseline.calibration?.maximum(.ksStatistic, feature: "amount"))
        let rule = Rule(name: "ks_auto", metric: .ksStatistic, scope: .numeric, warn: 0, automaticThreshold: true)
        var monitor = ModelMonitor(baseline: baseline, configuration: WindowConfiguration(basis: .count, size: 500))
        var decoder = RecordDecoder(schemas: [monitor.schema])
        for (i, r) in SyntheticStream(seed: 32, driftFrom: 0).records(500).enumerated() {
            var bytes = Array(r.utf8)
            _ = bytes.withUnsafeMutableBufferPointer { decoder.decode(UnsafeBufferPointer($0), position: SourcePosition(partition: 0, offset: Int64(i))) }
        }
        var report = try #require(monitor.add(decoder.batches[0], now: 0).first)
        let findings = Evaluator.evaluate(&report, rules: [rule], calibration: baseline.calibration)
        let decision = try #require(report.features.first { $0.name == "amount" }?.decisions?.first)
        #expect(decision.floor == observed && decision.floorSource == .reference)
        #expect(findings.first { $0.fingerprint.feature == "amount" }?.severity != nil, "a one-sd shift is far above the reference's own noise")
    }
}
