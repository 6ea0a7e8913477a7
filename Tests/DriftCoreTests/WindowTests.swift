@testable import DriftCore
import DriftStats
import DriftTesting
import Testing

/// Windows over decoded batches: counts, event time, lateness, sliding merges, batching.
@Suite("Model monitor windows")
struct WindowTests {
    static let baseline = SyntheticStream(seed: 3).baseline(records: 4000)

    /// Runs records through a monitor in batches of `batchSize`; returns the reports.
    static func run(_ records: [String], window: WindowConfiguration, batchSize: Int, now: Int64 = 0) -> ([WindowReport], ModelMonitor) {
        var monitor = ModelMonitor(baseline: baseline, configuration: window)
        var decoder = RecordDecoder(schemas: [monitor.schema])
        var reports: [WindowReport] = []
        for (i, r) in records.enumerated() {
            var bytes = Array(r.utf8)
            _ = bytes.withUnsafeMutableBufferPointer { decoder.decode(UnsafeBufferPointer($0), position: SourcePosition(partition: 0, offset: Int64(i))) }
            if (i + 1) % batchSize == 0 || i == records.count - 1 {
                reports += monitor.add(decoder.batches[0], now: now)
                decoder.clearBatches()
            }
        }
        return (reports, monitor)
    }

    @Test("count windows: tumbling and sliding, the same reports whatever the batch size", arguments: [1, 7, 1000, 5000])
    func countWindows(batchSize: Int) throws {
        let records = SyntheticStream(seed: 4).records(5000)
        let tumbling = WindowConfiguration(basis: .count, size: 1000, minimumSamples: 10)
        let (reports, _) = Self.run(records, window: tumbling, batchSize: batchSize)
        #expect(reports.map(\.windowIndex) == [0, 1, 2, 3, 4])
        #expect(reports.allSatisfy { $0.recordCount == 1000 })
        // Records 100 ms apart from the stream's start: each window knows when its records happened.
        let start = SyntheticStream(seed: 4).startTime
        #expect(reports.map(\.firstEventTime) == (0..<5).map { start + Int64($0) * 1000 * 100 })
        #expect(reports.map(\.lastEventTime) == (0..<5).map { start + (Int64($0) * 1000 + 999) * 100 })
        let (reference, _) = Self.run(records, window: tumbling, batchSize: 5000)
        #expect(reports == reference, "bit-identical whatever the batching")

        let sliding = WindowConfiguration(basis: .count, size: 1000, hop: 250, minimumSamples: 10)
        let (slid, _) = Self.run(records, window: sliding, batchSize: batchSize)
        #expect(slid.count == 17)
        #expect(slid[4].start == 1000 && slid[4].end == 2000)
        // A sliding window equals the tumbling window over the same records (the merge of
        // four panes may round the mean differently in the last bits).
        for (a, b) in zip(slid[4].features, reports[1].features) {
            #expect(a.numeric?.psi == b.numeric?.psi && a.numeric?.ks == b.numeric?.ks && a.categorical == b.categorical)
            #expect(isClose(a.numeric?.meanShift ?? 0, b.numeric?.meanShift ?? 0, relative: 1e-12, absolute: 1e-15))
        }
    }

    @Test("event-time windows close on the watermark; later records are counted late, never mixed in")
    func eventTime() throws {
        var stream = SyntheticStream(seed: 5)
        stream.spacingMilliseconds = 1000  // one record a second
        var records = stream.records(400)
        // A record from the first minute arriving after four windows closed.
        records.insert(records[10], at: 250)
        let window = WindowConfiguration(basis: .eventTime, size: 60_000, allowedLatenessMilliseconds: 5_000, minimumSamples: 10)
        let (reports, monitor) = Self.run(records, window: window, batchSize: 16)
        let start = stream.startTime
        #expect(reports.first?.start == (start / 60_000) * 60_000)
        #expect(reports.allSatisfy { $0.end - $0.start == 60_000 })
        #expect(reports.reduce(0) { $0 + $1.lateRecords } == 1)
        #expect(reports.map(\.recordCount).reduce(0, +) + Int64(monitor.state.panes.values.map(\.records).reduce(0, +)) == 400)
        #expect(reports.first?.recordCount == 60)
        // The watermark trails the newest event by the allowed lateness.
        let newest = start + 399 * 1000
        #expect(reports.last!.end <= newest - 5_000)
    }

    @Test("a window with fewer values than min_samples reports insufficient data")
    func insufficientData() {
        let records = SyntheticStream(seed: 6).records(100)
        let (reports, _) = Self.run(records, window: WindowConfiguration(basis: .count, size: 50, minimumSamples: 500), batchSize: 10)
        #expect(reports.count == 2)
        #expect(reports.allSatisfy { r in r.features.allSatisfy { $0.status == .insufficientData } })
    }

    @Test("blocked moments give the same bits however the values were split")
    func blockedMoments() {
        let values = SeededData.column(count: 1000, seed: 77)
        var whole = BlockedMoments.zero
        values.withUnsafeBufferPointer { whole.add($0) }
        for split in [1, 3, 63, 64, 65, 500] {
            var parts = BlockedMoments.zero
            var i = 0
            while i < values.count {
                let end = Swift.min(values.count, i + split)
                values[i..<end].withUnsafeBufferPointer { parts.add($0) }
                i = end
            }
            #expect(parts == whole, "chunks of \(split)")
            #expect(parts.moments.mean.bitPattern == whole.moments.mean.bitPattern)
        }
    }
}
