import DriftCore
import Dispatch
import DriftStore
import Foundation

/// `driftd replay`: the daemon's pipeline fed from a JSON Lines file. Resumes from the
/// store's checkpoint for the file, so a replay that was stopped (even by SIGKILL) and run
/// again produces exactly the reports and alerts of an uninterrupted run.
public struct Replay {
    public struct Options: Sendable {
        /// Records between commit points when no window closes.
        public var commitEveryRecords = 100_000
        /// Commit points take at most about this share of the time: after a commit point that
        /// took t seconds the next waits until t × (1 − share) / share seconds have passed.
        /// A commit writes every model changed since the last one, so with thousands of
        /// models a commit every 100,000 records would cost more than the records.
        public var maximumCommitShare = 0.25
        /// Bytes of the file decoded by one thread before accumulation, at most (about 11,500
        /// W1 records); smaller files use a sixteenth of their size per thread and set.
        public var chunkBytes = 4 << 20
        /// Threads decoding chunks (default: one per core).
        public var decodingThreads: Int? = nil
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
        /// Of the rejected: records whose timestamp jumped from their model's stream.
        public var skewed: Int64 = 0
        /// Records that arrived after their window had closed.
        public var late: Int64 = 0
        public var unmonitored: Int64
        public var windowsClosed: Int64
        public var transitions: Int
        public var firing: [AlertFingerprint]
        public var seconds: Double
        public var alreadyComplete: Bool
        public var timings = Timings()
    }

    /// Where a replay's time went (`driftd replay --timings`), in seconds of wall time on
    /// the accumulating thread: what the many-model benchmark reports.
    public struct Timings: Sendable {
        /// Reading the baselines and the stored model states, building the monitors.
        public var setup: Double = 0
        /// Accumulating decoded chunks, split by whether a window closed in the chunk (its
        /// time includes closing and evaluating those windows).
        public var accumulating: Double = 0
        public var accumulatingWithCloses: Double = 0
        public var chunks = 0
        public var chunksWithCloses = 0
        /// Commit points: encoding the reports and model states, and the SQLite transaction.
        public var committing: Double = 0
        public var commits = 0
        /// Waiting for the decoding threads.
        public var waitingForDecode: Double = 0

        /// The closing cost alone: chunks that closed windows, less what a chunk costs
        /// without closes.
        public var closing: Double {
            let plain = chunks > chunksWithCloses ? (accumulating - accumulatingWithCloses) / Double(chunks - chunksWithCloses) : 0
            return Swift.max(0, accumulatingWithCloses - plain * Double(chunksWithCloses))
        }
    }

    public static func monitors(configuration: DriftConfiguration, store: AlertStore) throws -> (monitors: [ModelMonitor], rules: [String: [Rule]]) {
        var monitors: [ModelMonitor] = [], rules: [String: [Rule]] = [:]
        let baselines = try store.activeBaselines()
        for model in configuration.models {
            guard let baseline = baselines[model.id] else {
                throw InputFailure(message: "model '\(model.id)' has no active baseline in \(configuration.storePath) — fit one: driftd baseline fit --config \(configuration.file) --model \(model.id) --from REFERENCE.jsonl")
            }
            monitors.append(ModelMonitor(baseline: baseline, configuration: model.window, policy: model.decision))
            rules[model.id] = model.rules
        }
        return (monitors, rules)
    }

    public static func run(file path: String, configuration: DriftConfiguration, store: AlertStore, options: Options = Options(),
                           progress: ((Progress) -> Void)? = nil) throws -> Summary {
        try FileReplay(file: path, configuration: configuration, store: store, options: options, progress: progress).run()
    }
}

/// One replay of one file: the pipeline restored from the store, the file mapped, cut into
/// chunks decoded on every core while this thread accumulates the previous set in file order,
/// and commit points written as it goes.
final class FileReplay {
    let path: String
    let store: AlertStore
    let options: Replay.Options
    let progress: ((Replay.Progress) -> Void)?
    let started = Date()
    let file: MappedFile
    let source: String
    var pipeline: Pipeline
    var timings = Replay.Timings()
    /// The byte the replay has reached (the file's own checkpoint position).
    var offset: Int
    let resumedFrom: Int64
    let recordsAtStart: Int64
    var sinceCommit = 0
    var transitions = 0
    var nextCommitAllowed = Date.distantPast

    init(file path: String, configuration: DriftConfiguration, store: AlertStore, options: Replay.Options,
         progress: ((Replay.Progress) -> Void)?) throws {
        self.path = path; self.store = store; self.options = options; self.progress = progress
        file = try MappedFile(path: path, populate: false)
        source = "file:" + URL(fileURLWithPath: path).standardizedFileURL.path
        let (monitors, rules) = try Replay.monitors(configuration: configuration, store: store)
        pipeline = Pipeline(source: source, monitors: monitors, rules: rules)
        offset = ByteOrderMark.length(file.bytes)
        let checkpoint = try store.checkpoint(source: source)
        // The models continue where any source left them; the file from its own position.
        pipeline.restore(checkpoint, models: try store.modelCheckpoints())
        // Alerts resolved by hand since the models' states were stored: from the first window on.
        try pipeline.applyOperatorResolutions(from: store)
        if let checkpoint {
            offset = Int(checkpoint.positions[0] ?? 0)
            guard offset <= file.bytes.count else {
                throw InputFailure(message: "\(path) is shorter than when it was last replayed (checkpoint at byte \(offset)); it is not the same file — replay a new file under another name")
            }
        }
        resumedFrom = Int64(offset)
        recordsAtStart = pipeline.counters.records
        timings.setup = Date().timeIntervalSince(started)
    }

    func run() throws -> Replay.Summary {
        let total = file.bytes.count
        guard file.bytes.baseAddress != nil, offset < total else {
            report()
            return Replay.Summary(resumedFrom: resumedFrom, records: 0, rejected: 0, unmonitored: 0, windowsClosed: 0, transitions: 0,
                                  firing: pipeline.alertBook.firing, seconds: Date().timeIntervalSince(started), alreadyComplete: true)
        }
        try decodeAndAccumulate()
        closeAtEnd()
        try commit()
        withExtendedLifetime(file) {}
        report()
        return Replay.Summary(resumedFrom: resumedFrom, records: pipeline.counters.records - recordsAtStart,
                              rejected: pipeline.counters.rejected, skewed: pipeline.counters.skewed, late: pipeline.counters.late,
                              unmonitored: pipeline.counters.unmonitored,
                              windowsClosed: pipeline.counters.windowsClosed, transitions: transitions,
                              firing: pipeline.alertBook.firing, seconds: Date().timeIntervalSince(started), alreadyComplete: false,
                              timings: timings)
    }

    /// Chunks of about `chunkBytes` are decoded on every core at once while this thread
    /// accumulates the previous set in file order (two sets of decoders, double-buffered).
    private func decodeAndAccumulate() throws {
        let workers = Swift.max(1, Swift.min(options.decodingThreads ?? SampleFiles.processorCount, 8))
        let sets = (0..<2).map { _ in (0..<workers).map { _ in DecodingSlot(decoder: pipeline.makeDecoder()) } }
        let chunker = Chunker(bytes: file.bytes, workers: workers, chunkBytes: chunkBytes(workers: workers))
        let shared = ReadOnlyBytes(buffer: file.bytes), source = source
        @Sendable func decode(_ ranges: [Range<Int>], into slots: [DecodingSlot]) {
            DispatchQueue.concurrentPerform(iterations: ranges.count) { k in
                let range = ranges[k]
                slots[k].chunk = Pipeline.decodeLines(UnsafeBufferPointer(rebasing: shared.buffer[range]), startOffset: Int64(range.lowerBound),
                                                      source: source, into: &slots[k].decoder)
            }
        }
        let ahead = DispatchGroup()
        var current = 0
        var ranges = chunker.cut(from: offset)
        var lastProgress = Date()
        var releasedAt = offset
        decode(ranges, into: sets[current])
        while !ranges.isEmpty {
            let next = chunker.cut(from: ranges.last!.upperBound)
            let nextSlots = sets[1 - current]
            if !next.isEmpty {
                DispatchQueue.global().async(group: ahead) { decode(next, into: nextSlots) }
            }
            do {
                for k in ranges.indices { try absorb(sets[current][k]) }
            } catch {
                ahead.wait()
                throw error
            }
            offset = ranges.last!.upperBound
            let waitBegan = Date()
            ahead.wait()
            timings.waitingForDecode += Date().timeIntervalSince(waitBegan)
            if Date().timeIntervalSince(lastProgress) >= 0.5 { report(); lastProgress = Date() }
            if offset - releasedAt >= 32 << 20 { file.release(before: offset); releasedAt = offset }
            ranges = next
            current = 1 - current
        }
    }

    /// Smaller files get smaller chunks, so that commit points (and progress) still come
    /// often. Many models share a chunk: each model's batch in it pays a fixed cost per
    /// feature (pane lookup, one kernel call per statistic), so chunks grow with the number of
    /// models until each model gets a few dozen records a chunk (at most 64 MB a chunk).
    private func chunkBytes(workers: Int) -> Int {
        let perModel = Swift.min(Swift.max(options.chunkBytes, pipeline.monitors.count * 32 * 400), 64 << 20)
        return Swift.max(64 << 10, Swift.min(perModel, (file.bytes.count - offset) / (workers * 16)))
    }

    /// One decoded chunk into the pipeline, in file order; a commit point when windows
    /// closed or enough records came (no more often than the commit share allows).
    private func absorb(_ slot: DecodingSlot) throws {
        let closedBefore = pipeline.counters.windowsClosed
        let began = Date()
        pipeline.absorb(slot.chunk, from: &slot.decoder, now: Clock.milliseconds())
        let spent = Date().timeIntervalSince(began)
        timings.accumulating += spent
        timings.chunks += 1
        if pipeline.counters.windowsClosed > closedBefore { timings.accumulatingWithCloses += spent; timings.chunksWithCloses += 1 }
        sinceCommit += Int(slot.chunk.records)
        if pipeline.hasWindowOutput || sinceCommit >= options.commitEveryRecords, Date() >= nextCommitAllowed {
            try commit()
        }
    }

    /// The end of the file closes every open window.
    private func closeAtEnd() {
        let closedBefore = pipeline.counters.windowsClosed
        let closeBegan = Date()
        pipeline.closeAtEndOfInput(now: Clock.milliseconds())
        if pipeline.counters.windowsClosed > closedBefore {
            let spent = Date().timeIntervalSince(closeBegan)
            timings.accumulating += spent; timings.accumulatingWithCloses += spent
            timings.chunks += 1; timings.chunksWithCloses += 1
        }
    }

    /// A commit point; the next one is allowed once this one's cost is at most
    /// `maximumCommitShare` of the time since.
    private func commit() throws {
        let began = Date()
        defer {
            let ended = Date()
            let cost = ended.timeIntervalSince(began)
            timings.committing += cost; timings.commits += 1
            let share = Swift.min(Swift.max(options.maximumCommitShare, 0.01), 1)
            nextCommitAllowed = ended.addingTimeInterval(cost * (1 - share) / share)
        }
        // Alerts operators resolved in the store since the last commit point: the book
        // follows, so their next breach fires again.
        try pipeline.applyOperatorResolutions(from: store)
        let output = pipeline.takeOutput()
        transitions += output.transitions.count
        try store.commit(output, checkpoint: pipeline.takeCheckpoint(), source: source)
        sinceCommit = 0
    }

    private func report() {
        guard let progress else { return }
        progress(Replay.Progress(records: pipeline.counters.records, bytes: Int64(offset), totalBytes: Int64(file.bytes.count),
                                 windowsClosed: pipeline.counters.windowsClosed, firing: pipeline.alertBook.firing.count,
                                 rejected: pipeline.counters.rejected, seconds: Date().timeIntervalSince(started)))
    }
}

/// Cuts a file into line-aligned chunks, `workers` at a time.
struct Chunker {
    let bytes: UnsafeBufferPointer<UInt8>
    let workers: Int
    let chunkBytes: Int

    /// The next set of chunks from `first`: up to `workers` ranges, each ending after a newline
    /// (or at the end of the file).
    func cut(from first: Int) -> [Range<Int>] {
        guard let base = bytes.baseAddress else { return [] }
        let total = bytes.count
        var ranges: [Range<Int>] = []
        var start = first
        while ranges.count < workers && start < total {
            var end = Swift.min(start + chunkBytes, total)
            if end < total {
                let found = memchr(base + end - 1, 0x0A, total - end + 1)
                end = found.map { UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self) - base + 1 } ?? total
            }
            ranges.append(start..<end)
            start = end
        }
        return ranges
    }
}

/// One decoding thread's decoder and its last chunk.
/// `@unchecked`: each slot is written by exactly one decoding thread of a
/// `concurrentPerform` and read by the caller after it returned (which orders the accesses).
final class DecodingSlot: @unchecked Sendable {
    var decoder: RecordDecoder
    var chunk = DecodedChunk()
    init(decoder: RecordDecoder) { self.decoder = decoder }
}

enum Clock {
    static func milliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
