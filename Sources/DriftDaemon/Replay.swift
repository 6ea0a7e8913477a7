import DriftCore
import DriftStore
import Foundation

/// `driftd replay`: the daemon's pipeline fed from a JSON Lines file. Resumes from the
/// store's checkpoint for the file, so a replay that was stopped (even by SIGKILL) and run
/// again produces exactly the reports and alerts of an uninterrupted run.
public struct Replay {
    public struct Options: Sendable {
        /// Records between commit points when no window closes.
        public var commitEveryRecords = 100_000
        /// Records decoded before they are accumulated (the hot loop's batch).
        public var batchRecords = 4096
        public init() {}
    }

    public struct Progress: Sendable {
        public var records: Int64
        public var bytes: Int64
        public var totalBytes: Int64
        public var windowsClosed: Int64
        public var firing: Int
        public var rejected: Int64
        public var seconds: Double
    }

    public struct Summary: Sendable {
        public var resumedFrom: Int64
        public var records: Int64
        public var rejected: Int64
        public var unmonitored: Int64
        public var windowsClosed: Int64
        public var transitions: Int
        public var firing: [AlertFingerprint]
        public var seconds: Double
        public var alreadyComplete: Bool
    }

    public static func monitors(configuration: DriftConfiguration, store: AlertStore) throws -> (monitors: [ModelMonitor], rules: [String: [Rule]]) {
        var monitors: [ModelMonitor] = [], rules: [String: [Rule]] = [:]
        for model in configuration.models {
            guard let baseline = try store.baseline(model: model.id) else {
                throw InputFailure(message: "model '\(model.id)' has no active baseline in \(configuration.storePath) — fit one: driftd baseline fit --config \(configuration.file) --model \(model.id) --from REFERENCE.jsonl")
            }
            monitors.append(ModelMonitor(baseline: baseline, configuration: model.window))
            rules[model.id] = model.rules
        }
        return (monitors, rules)
    }

    public static func run(file path: String, configuration: DriftConfiguration, store: AlertStore, options: Options = Options(),
                           progress: ((Progress) -> Void)? = nil) throws -> Summary {
        let started = Date()
        let file = try MappedFile(path: path, populate: false)
        let source = "file:" + URL(fileURLWithPath: path).standardizedFileURL.path
        let (monitors, rules) = try monitors(configuration: configuration, store: store)
        var pipeline = Pipeline(source: source, monitors: monitors, rules: rules)
        var offset = 0
        if let checkpoint = try store.checkpoint(source: source) {
            pipeline.restore(checkpoint)
            offset = Int(checkpoint.positions[0] ?? 0)
            guard offset <= file.bytes.count else {
                throw InputFailure(message: "\(path) is shorter than when it was last replayed (checkpoint at byte \(offset)); it is not the same file — replay a new file under another name")
            }
        }
        let resumedFrom = Int64(offset)
        let bytes = file.bytes
        let total = bytes.count
        let recordsAtStart = pipeline.counters.records
        var sinceCommit = 0, inBatch = 0
        var transitions = 0
        var lastProgress = Date()
        var releasedAt = offset
        var line = pipeline.line
        func commit() throws {
            let output = pipeline.takeOutput()
            transitions += output.transitions.count
            try store.commit(output, checkpoint: pipeline.checkpoint, source: source)
            sinceCommit = 0
        }
        func report() {
            guard let progress else { return }
            progress(Progress(records: pipeline.counters.records, bytes: Int64(offset), totalBytes: Int64(total),
                              windowsClosed: pipeline.counters.windowsClosed, firing: pipeline.alertBook.firing.count,
                              rejected: pipeline.counters.rejected, seconds: Date().timeIntervalSince(started)))
        }
        guard let base = bytes.baseAddress, offset < total else {
            report()
            return Summary(resumedFrom: resumedFrom, records: 0, rejected: 0, unmonitored: 0, windowsClosed: 0, transitions: 0,
                           firing: pipeline.alertBook.firing, seconds: Date().timeIntervalSince(started), alreadyComplete: true)
        }
        while offset < total {
            let found = memchr(base + offset, 0x0A, total - offset)
            let end = found.map { UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self) - base } ?? total
            let next = Swift.min(end + 1, total)
            line += 1
            var lineEnd = end
            if lineEnd > offset && base[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let record = UnsafeBufferPointer(start: base + offset, count: lineEnd - offset)
            offset = next
            if SampleTableReader.isBlank(record) { continue }
            pipeline.ingest(record, position: SourcePosition(partition: 0, offset: Int64(next)), line: line)
            inBatch += 1; sinceCommit += 1
            if inBatch == options.batchRecords {
                inBatch = 0
                pipeline.flush(now: Clock.milliseconds())
                if pipeline.hasWindowOutput || sinceCommit >= options.commitEveryRecords { try commit() }
                if Date().timeIntervalSince(lastProgress) >= 0.5 { report(); lastProgress = Date() }
                if offset - releasedAt >= 32 << 20 { file.release(before: offset); releasedAt = offset }
            }
        }
        pipeline.closeAtEndOfInput(now: Clock.milliseconds())
        try commit()
        withExtendedLifetime(file) {}
        report()
        return Summary(resumedFrom: resumedFrom, records: pipeline.counters.records - recordsAtStart,
                       rejected: pipeline.counters.rejected, unmonitored: pipeline.counters.unmonitored,
                       windowsClosed: pipeline.counters.windowsClosed, transitions: transitions,
                       firing: pipeline.alertBook.firing, seconds: Date().timeIntervalSince(started), alreadyComplete: false)
    }
}

enum Clock {
    static func milliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
