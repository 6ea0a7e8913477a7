/// Seeded inference records of a small model ("shop": two numeric features, a categorical
/// one, a prediction and sometimes a label) with drift switched on from a given record.
public struct SyntheticStream: Sendable {
    public var model = "shop"
    public var seed: UInt64 = 1
    /// From this record on, `amount` shifts by one sd and `channel` gains a new category.
    public var driftFrom: Int? = nil
    /// First event time (ms) and the gap between records.
    public var startTime: Int64 = 1_764_000_000_000
    public var spacingMilliseconds: Int64 = 100
    public var withTimestamps = true

    public init(model: String = "shop", seed: UInt64 = 1, driftFrom: Int? = nil) {
        self.model = model; self.seed = seed; self.driftFrom = driftFrom
    }

    public func records(_ count: Int) -> [String] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { i in
            let drifted = driftFrom.map { i >= $0 } ?? false
            let amount = ((g.normal() * 20 + 100 + (drifted ? 20 : 0)) * 100).rounded() / 100
            let items = Int(g.next() % 7) + 1
            let channels = drifted ? ["web", "app", "store", "kiosk"] : ["web", "app", "store"]
            let channel = channels[Int(g.next() % UInt64(channels.count))]
            let p = ((amount / 200) * 1000).rounded() / 1000
            let label = i % 4 == 0 ? (p > 0.5 ? "1" : "0") : "null"
            let ts = withTimestamps ? "\"ts\":\(startTime + Int64(i) * spacingMilliseconds)," : ""
            return "{\"model\":\"\(model)\",\"id\":\"r\(i)\",\(ts)\"features\":{\"amount\":\(amount),\"items\":\(items),\"channel\":\"\(channel)\"},\"prediction\":\(p),\"label\":\(label)}"
        }
    }

    public func text(_ count: Int) -> String { records(count).joined(separator: "\n") + "\n" }
}

import DriftCore

extension SampleTable {
    /// A table read from JSON Lines text, as `driftd` reads files.
    public static func parsing(_ text: String) -> SampleTable {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { SampleTableReader.jsonLines(UnsafeBufferPointer($0)) }
    }
}

extension SyntheticStream {
    /// A baseline fitted on `count` records of this stream.
    public func baseline(records count: Int, version: String = "v1") -> Baseline {
        Baseline.fit(model: model, version: version, reference: .parsing(text(count)))
    }

    /// A baseline that knows the stream's event rate (one record every `spacingMilliseconds`),
    /// for tests of expected volume.
    public func timedBaseline(records count: Int, version: String = "v1") -> Baseline {
        Baseline.fit(model: model, version: version, reference: .parsing(text(count)),
                     eventTimeSpanMilliseconds: Double(Int64(count) * spacingMilliseconds))
    }
}
