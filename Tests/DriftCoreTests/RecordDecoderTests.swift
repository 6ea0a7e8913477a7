@testable import DriftCore
import DriftStats
import DriftTestTraits
import DriftTesting
import Testing

/// The streaming decoder: routing, type errors, order of keys, timestamps, and a fuzz run.
@Suite("Record decoder")
struct RecordDecoderTests {
    static let baseline = SyntheticStream(seed: 3).baseline(records: 2000)

    static func decode(_ records: [String], into decoder: inout RecordDecoder) -> [RecordDecoder.Outcome] {
        records.enumerated().map { i, r in
            var bytes = Array(r.utf8)
            return bytes.withUnsafeMutableBufferPointer { decoder.decode(UnsafeBufferPointer($0), position: SourcePosition(partition: 0, offset: Int64(i))) }
        }
    }

    @Test("features before the model key, type errors kept per feature, other models counted apart")
    func routingAndTypeErrors() {
        var decoder = RecordDecoder(schemas: [ModelSchema(baseline: Self.baseline)])
        let outcomes = Self.decode([
            #"{"features":{"amount":12.5,"items":"three","channel":"web"},"model":"shop","ts":"2026-11-25T10:00:00.250Z","prediction":0.4}"#,
            #"{"model":"other","features":{"amount":1}}"#,
            #"{"model":"shop","features":{"amount":{"nested":1},"channel":7,"unknown":[1,2]},"prediction":"high","label":"high"}"#,
        ], into: &decoder)
        #expect(outcomes == [.decoded(model: 0), .unmonitored, .decoded(model: 0)])
        let batch = decoder.batches[0]
        #expect(batch.rowCount == 2)
        let amount = batch.schema.numericFeatures.firstIndex(of: "amount")!, items = batch.schema.numericFeatures.firstIndex(of: "items")!
        #expect(batch.numeric[amount][0] == 12.5)
        #expect(batch.numeric[items][0].isNaN)
        #expect(batch.typeErrorCount(feature: items, rows: 0..<1) == 1)
        #expect(batch.typeErrorCount(feature: amount, rows: 1..<2) == 1)
        #expect(batch.eventTime[0] == 1_795_600_800_250)
        #expect(batch.eventTime[1] == Int64.min)
        // "channel": 7 is the category "7", which the reference never had.
        let channel = batch.schema.categoricalFeatures.firstIndex(of: "channel")!
        #expect(batch.categorical[channel][1] >= 0)
        #expect(batch.performance[0].isNaN && batch.performance[1] == 1)
        #expect(decoder.unmonitoredRecords == 1)
    }

    @Test("a rejected record leaves nothing in the batch, not even its type errors")
    func rejectionLeavesNoTrace() {
        var decoder = RecordDecoder(schemas: [ModelSchema(baseline: Self.baseline)])
        let outcomes = Self.decode([
            #"{"model":"shop","features":{"items":"x","amount":1},"ts":"yesterday"}"#,
            #"{"model":"shop","features":{"items":"x"}} junk"#,
        ], into: &decoder)
        #expect(outcomes.allSatisfy { if case .rejected = $0 { true } else { false } })
        #expect(decoder.batches[0].rowCount == 0)
        #expect(decoder.batches[0].typeErrors.isEmpty)
    }

    /// Expected values from Python's datetime.
    @Test("RFC 3339 timestamps", arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)), ("2026-11-25T10:00:00.5+01:00", Int64(1_795_597_200_500)),
        ("2024-02-29 23:59:59.999z", Int64(1_709_251_199_999)), ("2000-03-01T00:00:00-00:30", Int64(951_870_600_000)),
    ])
    func timestamps(_ text: String, _ expected: Int64) {
        #expect(RFC3339.epochMilliseconds(text) == expected)
    }

    @Test("invalid RFC 3339 timestamps are refused", arguments: ["2023-02-29T00:00:00Z", "2026-11-25T10:00:00", "2026-13-01T00:00:00Z", "20261125T100000Z", ""])
    func badTimestamps(_ text: String) {
        #expect(RFC3339.epochMilliseconds(text) == nil)
    }

    @Test("fuzz: a million mutated and random inputs never crash or hang, each decoded or rejected", .offThePool)
    func fuzz() {
        var decoder = RecordDecoder(schemas: [ModelSchema(baseline: Self.baseline)], maximumRecordBytes: 4096)
        let seeds = SyntheticStream(seed: 11).records(50).map { Array($0.utf8) } + [
            Array(#"{"features":{"channel":"w\u00e9b","amount":-1.5e-3},"model":"shop","label":null,"prediction":"a\"b"}"#.utf8),
        ]
        var g = SeededGenerator(seed: 2026)
        var decoded = 0, rejected = 0, unmonitored = 0
        let total = 1_000_000
        var input = [UInt8]()
        input.reserveCapacity(8192)
        for i in 0..<total {
            input.removeAll(keepingCapacity: true)
            if i % 10 == 0 {
                let n = Int(g.next() % 200)
                for _ in 0..<n { input.append(UInt8(truncatingIfNeeded: g.next())) }
            } else {
                input.append(contentsOf: seeds[Int(g.next() % UInt64(seeds.count))])
                let edits = 1 + Int(g.next() % 4)
                for _ in 0..<edits where !input.isEmpty {
                    let at = Int(g.next() % UInt64(input.count))
                    switch g.next() % 6 {
                    case 0: input[at] ^= UInt8(1 << (g.next() % 8))
                    case 1: input.remove(at: at)
                    case 2: input.insert(Array(#"{}[]",:0123456789eE.-\tnulltruefalse"#.utf8)[Int(g.next() % 33)], at: at)
                    case 3: input.removeSubrange(at...)
                    case 4: input.insert(contentsOf: input[at...].prefix(16), at: at)
                    default: input[at] = [0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0xFF, 0xC3][Int(g.next() % 8)]
                    }
                }
            }
            let outcome = input.withUnsafeBufferPointer { decoder.decode($0, position: SourcePosition(partition: 0, offset: Int64(i))) }
            switch outcome {
            case .decoded: decoded += 1
            case .rejected: rejected += 1
            case .unmonitored: unmonitored += 1
            }
            if decoder.batches[0].rowCount >= 4096 { decoder.clearBatches() }
        }
        #expect(decoded + rejected + unmonitored == total)
        #expect(decoded > 10_000 && rejected > 100_000, "both paths exercised: \(decoded) decoded, \(rejected) rejected")
        let batch = decoder.batches[0]
        #expect(batch.numeric.allSatisfy { $0.count == batch.rowCount } && batch.categorical.allSatisfy { $0.count == batch.rowCount })
        #expect(batch.typeErrors.allSatisfy { Int($0.row) < batch.rowCount })
    }
}
