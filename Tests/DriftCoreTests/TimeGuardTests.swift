@testable import DriftCore
import DriftStats
import DriftTesting
import Foundation
import Testing

/// Event time that a model can trust: one wild clock moves nothing, a real jump of the
/// stream is followed, and windows count expected volume only where the stream was live.
@Suite("Event-time guards: clock skew and coverage")
struct TimeGuardTests {
    static let baseline = SyntheticStream(seed: 3).baseline(records: 4000)
    static let minute = WindowConfiguration(basis: .eventTime, size: 60_000, minimumSamples: 10)
    static let year: Int64 = 365 * 86_400_000

    static func stream(_ count: Int, start: Int64 = 1_764_000_000_000) -> [String] {
        var s = SyntheticStream(seed: 21)
        s.spacingMilliseconds = 1000
        s.startTime = start
        return s.records(count)
    }

    static func stamped(_ record: String, at ts: Int64) -> String {
        // The synthetic records carry "ts":<ms>, right after the id.
        guard let r = record.range(of: "\"ts\":"), let comma = record[r.upperBound...].firstIndex(of: ",") else { return record }
        return record.replacingCharacters(in: r.upperBound..<comma, with: String(ts))
    }

    /// Reports, dead-lettered records and the monitor after running `records` in batches.
    static func run(_ records: [String], window: WindowConfiguration = minute, baseline: Baseline = baseline, batchSize: Int = 16,
                    now: Int64 = 0, live: Bool = false, endOfInput: Bool = true) -> ([WindowReport], [SkewedRecord], ModelMonitor) {
        var monitor = ModelMonitor(baseline: baseline, configuration: window)
        var decoder = RecordDecoder(schemas: [monitor.schema])
        var reports: [WindowReport] = [], skewed: [SkewedRecord] = []
        for (i, r) in records.enumerated() {
            var bytes = Array(r.utf8)
            _ = bytes.withUnsafeMutableBufferPointer { decoder.decode(UnsafeBufferPointer($0), position: SourcePosition(partition: 0, offset: Int64(i + 1))) }
            if (i + 1) % batchSize == 0 || i == records.count - 1 {
                reports += monitor.add(decoder.batches[0], now: now, live: live)
                skewed += monitor.takeSkewed()
                decoder.clearBatches()
            }
        }
        if endOfInput { reports += monitor.closeAtEndOfInput(); skewed += monitor.takeSkewed() }
        return (reports, skewed, monitor)
    }

    @Test("a record stamped a year ahead leaves every window as without it, and is a dead letter with its reason",
          arguments: [1, 16, 500])
    func farFuture(batchSize: Int) {
        let clean = Self.stream(600)
        var wild = clean
        let t = Self.stream(1)[0]
        wild.insert(Self.stamped(t, at: 1_764_000_000_000 + Self.year), at: 150)
        let (expected, none, _) = Self.run(clean, batchSize: batchSize)
        let (reports, skewed, _) = Self.run(wild, batchSize: batchSize)
        #expect(none.isEmpty)
        #expect(reports == expected, "nothing else in the model changes")
        #expect(reports.map(\.windowIndex) == expected.map(\.windowIndex))
        #expect(skewed.count == 1)
        #expect(skewed.first?.position == SourcePosition(partition: 0, offset: 151))
        #expect(skewed.first?.reason.contains("365.0 days ahead of the model's stream") == true, "\(skewed.first?.reason ?? "")")
        #expect(skewed.first.map { String(decoding: $0.payload, as: UTF8.self).contains("\"amount\":") } == true)
    }

    @Test("a record stamped a year back, before any window closed, does not open a year of empty windows")
    func farPast() {
        let clean = Self.stream(600)
        var wild = clean
        wild.insert(Self.stamped(Self.stream(1)[0], at: 1_764_000_000_000 - Self.year), at: 5)
        let (expected, _, _) = Self.run(clean)
        let (reports, skewed, _) = Self.run(wild)
        #expect(reports == expected)
        #expect(skewed.count == 1 && skewed[0].reason.contains("behind the model's stream"))
    }

    @Test("a real jump of the stream (traffic back after two days) is confirmed by the records that follow it")
    func confirmedJump() {
        let before = Self.stream(300)
        let after = Self.stream(300, start: 1_764_000_000_000 + 2 * 86_400_000)
        let (reports, skewed, monitor) = Self.run(before + after)
        #expect(skewed.isEmpty, "nothing is lost: \(skewed.map(\.reason))")
        let reported: Int64 = reports.map(\.recordCount).reduce(0, +)
        let open: Int64 = monitor.state.panes.values.map(\.records).reduce(0, +)
        #expect(reported + open == 600)
        #expect(reports.contains { $0.start >= 1_764_000_000_000 + 2 * 86_400_000 }, "windows after the gap close")
    }

    @Test("live: a record more than max_future_skew ahead of the wall clock is rejected; a replay of history is not")
    func futureOfTheWallClock() {
        let records = Self.stream(200)
        let now: Int64 = 1_764_000_000_000 + 100_000  // the wall clock sits 100 s into the stream
        let (_, live, _) = Self.run(records, now: now, live: true, endOfInput: false)
        #expect(live.isEmpty, "records up to 5 minutes ahead of the wall clock are fine")
        var ahead = records
        ahead.append(Self.stamped(records[0], at: now + 3_600_000))
        let (_, rejected, _) = Self.run(ahead, now: now, live: true, endOfInput: false)
        #expect(rejected.count == 1 && rejected[0].reason.contains("ahead of the wall clock"), "\(rejected.map(\.reason))")
        let (_, replayed, _) = Self.run(ahead, now: now, live: false, endOfInput: false)
        #expect(replayed.isEmpty)
    }

    @Test("the first window after a start counts expected volume only from the first record; a real drop still alerts")
    func coverage() {
        // A baseline that knows the stream's rate: one record a second.
        var reference = SyntheticStream(seed: 3)
        reference.spacingMilliseconds = 1000
        let baseline = reference.timedBaseline(records: 4000)
        // Start 45 s into a minute: the first window holds 15 records of the 60 a full one has.
        let start: Int64 = 1_764_000_000_000 / 60_000 * 60_000 + 45_000
        let (reports, _, _) = Self.run(Self.stream(300, start: start), baseline: baseline)
        let first = reports[0]
        #expect(first.recordCount == 15)
        #expect(isClose(first.coverage ?? 0, 0.25, relative: 1e-9, absolute: 0))
        #expect(isClose(first.expectedRecords ?? 0, 15, relative: 1e-6, absolute: 0))
        var report = first
        let findings = Evaluator.evaluate(&report, rules: Rule.defaults)
        #expect(findings.first { $0.fingerprint.rule == "volume" }?.severity == nil, "no volume alert at start-up")
        #expect(reports.dropFirst().allSatisfy { $0.coverage == 1 })

        // Later, traffic falls to one record in ten for a whole covered window.
        var records = Self.stream(300, start: start)
        let t0 = (start + 300_000) / 60_000 * 60_000 + 60_000  // a minute boundary after the first part
        for k in 0..<6 { records.append(Self.stamped(Self.stream(1)[0], at: t0 + Int64(k) * 10_000)) }
        records += Self.stream(120, start: t0 + 60_000)
        let (dropped, _, _) = Self.run(records, baseline: baseline)
        var thin = dropped.first { $0.start == (t0 / 60_000) * 60_000 }!
        #expect(thin.recordCount <= 6 && thin.coverage == 1)
        let drop = Evaluator.evaluate(&thin, rules: Rule.defaults).first { $0.fingerprint.rule == "volume" }
        #expect(drop?.severity == .critical, "a real traffic drop inside a covered span still alerts")
    }

    @Test("after an idle gap, the window the stream comes back in counts only from its first record")
    func idleGap() {
        var reference = SyntheticStream(seed: 3)
        reference.spacingMilliseconds = 1000
        let baseline = reference.timedBaseline(records: 4000)
        var window = Self.minute
        window.idleCloseMilliseconds = 120_000
        var monitor = ModelMonitor(baseline: baseline, configuration: window)
        var decoder = RecordDecoder(schemas: [monitor.schema])
        func feed(_ records: [String], now: Int64) -> [WindowReport] {
            for (i, r) in records.enumerated() {
                var bytes = Array(r.utf8)
                _ = bytes.withUnsafeMutableBufferPointer { decoder.decode(UnsafeBufferPointer($0), position: SourcePosition(partition: 0, offset: Int64(i + 1))) }
            }
            defer { decoder.clearBatches() }
            return monitor.add(decoder.batches[0], now: now)
        }
        let start: Int64 = 1_764_000_000_000 / 60_000 * 60_000
        _ = feed(Self.stream(180, start: start), now: 0)
        // Ten minutes of silence: idle close reports the silent windows (a real drop).
        let silent = monitor.closeIdle(now: 600_000)
        #expect(silent.contains { $0.recordCount == 0 && $0.coverage == 1 }, "silence inside a live span is a traffic drop")
        // Traffic comes back 40 s into a minute, ten minutes later.
        let back = start + 15 * 60_000 + 40_000
        let reports = feed(Self.stream(200, start: back), now: 700_000)
        let first = reports.first { $0.end > back }!
        #expect(first.recordCount == 20 && isClose(first.coverage ?? 0, 20.0 / 60, relative: 1e-9, absolute: 0))
        var judged = first
        #expect(Evaluator.evaluate(&judged, rules: Rule.defaults).first { $0.fingerprint.rule == "volume" }?.severity == nil)
    }
}
