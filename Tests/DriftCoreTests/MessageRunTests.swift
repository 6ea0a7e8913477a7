@testable import DriftCore
import DriftTesting
import Foundation
import Testing

/// `driftd run` decodes a poll's messages on several threads, in contiguous runs, and
/// accumulates the runs in poll order. That must give exactly what ingesting the messages one
/// by one gives: the same windows, alerts, dead letters, positions and model partitions.
@Suite("Polled messages decoded in runs")
struct MessageRunTests {
    static func pipeline() -> Pipeline {
        let stream = SyntheticStream(seed: 3)
        let monitor = ModelMonitor(baseline: stream.baseline(records: 2000), configuration: WindowConfiguration(basis: .count, size: 400))
        return Pipeline(source: "kafka", monitors: [monitor], rules: ["shop": Rule.defaults])
    }

    /// A drifting stream over three partitions, with a malformed record, one of an unmonitored
    /// model, and a record with a feature the model does not have, in polls of 700.
    static func polls() -> [[(partition: Int32, offset: Int64, bytes: [UInt8])]] {
        var messages: [(Int32, Int64, [UInt8])] = []
        var offsets: [Int64] = [0, 0, 0]
        for (i, r) in SyntheticStream(seed: 4, driftFrom: 900).records(2_100).enumerated() {
            let p = Int32(i % 3)
            var text = r
            if i == 500 { text = "{\"model\":\"shop\",\"features\":" }
            if i == 800 { text = "{\"model\":\"other\",\"features\":{\"x\":1}}" }
            if i == 1_000 { text = r.replacingOccurrences(of: "\"features\":{", with: "\"features\":{\"bogus\":[1],") }
            messages.append((p, offsets[Int(p)], Array(text.utf8)))
            offsets[Int(p)] += 1
        }
        return stride(from: 0, to: messages.count, by: 700).map { Array(messages[$0..<Swift.min($0 + 700, messages.count)]) }
    }

    @Test("three decoders over contiguous runs, absorbed in order, equal ingesting message by message")
    func runsEqualIngest() {
        var single = Self.pipeline(), inRuns = Self.pipeline()
        let topics = ["inference"]
        var decoders = (0..<3).map { _ in inRuns.makeDecoder() }
        for (n, poll) in Self.polls().enumerated() {
            let now = Int64(n) * 1000
            for m in poll {
                m.bytes.withUnsafeBufferPointer {
                    single.ingest($0, position: SourcePosition(partition: m.partition, offset: m.offset + 1),
                                  origin: "kafka:inference/\(m.partition)@\(m.offset)")
                }
            }
            single.flush(now: now)
            // The payloads stay alive while the runs are decoded, as a poll's do.
            let payloads = poll.map(\.bytes)
            withExtendedLifetime(payloads) {
                let pointers = payloads.map { bytes in bytes.withUnsafeBufferPointer { $0 } }
                let polled = poll.indices.map { k in
                    PolledMessage(partition: poll[k].partition, next: poll[k].offset + 1, payload: pointers[k], topicIndex: 0,
                                  sourcePartition: poll[k].partition, offset: poll[k].offset)
                }
                var runs: [DecodedMessages] = []
                polled.withUnsafeBufferPointer { all in
                    for k in 0..<3 {
                        let range = all.count * k / 3 ..< all.count * (k + 1) / 3
                        runs.append(Pipeline.decodeMessages(UnsafeBufferPointer(rebasing: all[range]), topics: topics, into: &decoders[k]))
                    }
                }
                for k in 0..<3 { inRuns.absorb(runs[k], from: &decoders[k], now: now) }
            }
            let a = single.takeOutput(), b = inRuns.takeOutput()
            #expect(a.reports == b.reports, "poll \(n): the same windows")
            #expect(a.transitions == b.transitions, "poll \(n): the same alert transitions")
            #expect(a.deadLetters == b.deadLetters, "poll \(n): the same dead letters")
        }
        #expect(single.checkpoint == inRuns.checkpoint, "the same positions, counters, open panes, alerts and model partitions")
        #expect(single.counters.rejected == 1 && single.counters.unmonitored == 1)
        #expect(single.counters.windowsClosed == 5)
        #expect(!single.alertBook.firing.isEmpty, "the drift fired")
        #expect(single.checkpoint.positions == [0: 700, 1: 700, 2: 700])
    }
}
