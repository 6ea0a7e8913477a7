/// A record that could not be used, bound for the dead-letter table.
public struct DeadLetter: Sendable, Codable, Equatable {
    public var source: String
    public var position: SourcePosition
    /// Line number in a file source.
    public var line: Int64?
    public var reason: String
    /// The record's bytes (the first 64 KiB).
    public var payload: [UInt8]
    public static let payloadLimit = 64 << 10
}

public struct PipelineCounters: Sendable, Codable, Equatable {
    public var records: Int64 = 0
    public var decoded: Int64 = 0
    public var rejected: Int64 = 0
    public var unmonitored: Int64 = 0
    public var windowsClosed: Int64 = 0
    /// Records whose timestamp jumped from their model's stream (or ran ahead of the wall
    /// clock) and went to the dead letters.
    public var skewed: Int64 = 0
    /// Records that arrived after their window had closed (counted in the windows closed).
    public var late: Int64 = 0
    public init() {}

    private enum CodingKeys: String, CodingKey { case records, decoded, rejected, unmonitored, windowsClosed, skewed, late }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        records = try c.decode(Int64.self, forKey: .records)
        decoded = try c.decode(Int64.self, forKey: .decoded)
        rejected = try c.decode(Int64.self, forKey: .rejected)
        unmonitored = try c.decode(Int64.self, forKey: .unmonitored)
        windowsClosed = try c.decode(Int64.self, forKey: .windowsClosed)
        skewed = try c.decodeIfPresent(Int64.self, forKey: .skewed) ?? 0
        late = try c.decodeIfPresent(Int64.self, forKey: .late) ?? 0
    }
}

/// What one model must remember across a restart: its open windows and its alerts. Stored
/// per model, not per source, so that a second file (or a switch from `replay` to `run`)
/// continues the same windows and alert book.
public struct ModelCheckpoint: Sendable, Codable, Equatable {
    public var state: ModelMonitorState
    public var alerts: [AlertFingerprint: AlertBook.Entry]
    /// The source that fed the model last: another source is a switch, after which the
    /// model's windows count expected volume from its first record again.
    public var source: String?
    public init(state: ModelMonitorState, alerts: [AlertFingerprint: AlertBook.Entry], source: String?) {
        self.state = state; self.alerts = alerts; self.source = source
    }
}

/// Everything the pipeline must remember across a restart, stored in the same transaction
/// as the window reports and transitions it produced: the source's progress, and the models
/// whose state changed since the previous checkpoint (the store keeps the others).
public struct PipelineCheckpoint: Sendable, Codable, Equatable {
    /// Models changed since the previous checkpoint (all of them in ``Pipeline/checkpoint``).
    public var models: [String: ModelCheckpoint]?
    /// Stores written before model states were kept per model: the whole pipeline's state.
    public var monitors: [String: ModelMonitorState]?
    public var alertBook: AlertBook?
    /// The position to resume from, per partition.
    public var positions: [Int32: Int64]
    /// Lines consumed so far (file sources).
    public var line: Int64
    public var counters: PipelineCounters
    /// Kafka sources: "topic/partition" → the partition number used in `positions`.
    public var partitionKeys: [String: Int32]?
    /// Model → the partition its records last came from (what moves with a partition).
    public var modelPartitions: [String: Int32]?
}

/// One partition's share of the pipeline, handed between daemons of one consumer group:
/// its position and the open windows and alert states of the models whose records it
/// carries. Records are keyed by model, so a model's state lives with one partition.
public struct PartitionHandover: Sendable, Codable, Equatable {
    public var topic: String
    public var partition: Int32
    /// The offset to resume from.
    public var next: Int64
    public var models: [String: ModelMonitorState]
    public var alerts: [AlertFingerprint: AlertBook.Entry]
    /// Which daemon wrote it, and when (ms since the epoch): for the log.
    public var writer: String
    public var writtenAt: Int64
}

/// What a stretch of input produced, to be committed atomically with a checkpoint.
public struct PipelineOutput: Sendable {
    public var reports: [WindowReport] = []
    public var transitions: [AlertTransition] = []
    public var deadLetters: [DeadLetter] = []
    public var isEmpty: Bool { reports.isEmpty && transitions.isEmpty && deadLetters.isEmpty }
    public init() {}
}

/// The whole engine between a source and the store, pure: decode → accumulate → close
/// windows → evaluate → alert book. The daemon and `driftd replay` run exactly this; only
/// the source differs.
public struct Pipeline {
    public let source: String
    public private(set) var monitors: [ModelMonitor]
    public let rules: [String: [Rule]]
    public private(set) var alertBook = AlertBook()
    public internal(set) var counters = PipelineCounters()
    public internal(set) var positions: [Int32: Int64] = [:]
    public internal(set) var line: Int64 = 0
    /// Sources with named partitions (Kafka): "topic/partition" → partition number.
    public var partitionKeys: [String: Int32] = [:]
    /// Per model (by index): the partition its records last came from, or -1.
    var modelPartition: [Int32]
    /// Per model (by index): whether its state changed since the last ``takeCheckpoint()``.
    private var changed: [Bool]
    private let modelIndex: [String: Int]
    let maximumRecordBytes: Int
    /// Records come from a live stream (`driftd run`): timestamps far ahead of the wall
    /// clock are rejected.
    public var isLive = false
    private var decoder: RecordDecoder
    private var output = PipelineOutput()

    public init(source: String, monitors: [ModelMonitor], rules: [String: [Rule]],
                maximumRecordBytes: Int = InferenceRecordParser.defaultMaximumRecordBytes) {
        self.source = source
        self.monitors = monitors
        self.rules = rules
        self.maximumRecordBytes = maximumRecordBytes
        self.decoder = RecordDecoder(schemas: monitors.map(\.schema), maximumRecordBytes: maximumRecordBytes)
        self.modelPartition = Array(repeating: -1, count: monitors.count)
        self.changed = Array(repeating: false, count: monitors.count)
        self.modelIndex = Dictionary(monitors.enumerated().map { ($1.baseline.model, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Decodes one record (the hot path); rejections become dead letters.
    /// - Parameters:
    ///   - position: where the next record starts (what a restart resumes from).
    ///   - line: the record's line number in a file.
    ///   - origin: where a dead letter says the record came from (default: the source).
    public mutating func ingest(_ record: UnsafeBufferPointer<UInt8>, position: SourcePosition, line: Int64? = nil,
                                origin: @autoclosure () -> String? = nil) {
        counters.records += 1
        positions[position.partition] = position.offset
        if let line { self.line = line }
        switch decoder.decode(record, position: position) {
        case .decoded(let model):
            counters.decoded += 1
            modelPartition[model] = position.partition
        case .unmonitored: counters.unmonitored += 1
        case .rejected(let rejection):
            counters.rejected += 1
            output.deadLetters.append(DeadLetter(source: origin() ?? source, position: position, line: line, reason: rejection.description,
                                                 payload: Array(record.prefix(DeadLetter.payloadLimit))))
        }
    }

    /// Accumulates the decoded batches; closes and evaluates windows.
    public mutating func flush(now: Int64) {
        for m in monitors.indices where decoder.batches[m].rowCount > 0 {
            let reports = monitors[m].add(decoder.batches[m], now: now, live: isLive)
            changed[m] = true
            evaluate(reports, model: m)
        }
        decoder.clearBatches()
    }

    mutating func accumulate(_ batches: [ColumnarBatch], now: Int64) {
        for m in monitors.indices where batches[m].rowCount > 0 {
            let reports = monitors[m].add(batches[m], now: now, live: isLive)
            changed[m] = true
            evaluate(reports, model: m)
        }
    }

    mutating func appendDeadLetter(_ letter: DeadLetter) { output.deadLetters.append(letter) }

    /// Idle time is counted from a restart, not across the downtime.
    public mutating func noteRestart(now: Int64) {
        for m in monitors.indices { monitors[m].noteRestart(now: now); changed[m] = true }
    }

    /// Forgets a partition's position (revoked: its next owner's offsets rule).
    public mutating func forgetPosition(partition: Int32) { positions[partition] = nil }

    /// Event-time windows of silent models close on wall-clock time.
    public mutating func closeIdle(now: Int64) {
        flush(now: now)
        for m in monitors.indices { evaluate(monitors[m].closeIdle(now: now), model: m) }
    }

    /// The input has ended (a file): close what can close.
    public mutating func closeAtEndOfInput(now: Int64) {
        flush(now: now)
        for m in monitors.indices { evaluate(monitors[m].closeAtEndOfInput(), model: m) }
    }

    private mutating func evaluate(_ reports: [WindowReport], model m: Int) {
        if !reports.isEmpty { changed[m] = true }
        for s in monitors[m].takeSkewed() {
            counters.skewed += 1
            counters.rejected += 1
            changed[m] = true
            output.deadLetters.append(DeadLetter(source: source, position: s.position, line: nil, reason: s.reason, payload: s.payload))
        }
        let modelRules = rules[monitors[m].baseline.model] ?? Rule.defaults
        for var report in reports {
            let findings = Evaluator.evaluate(&report, rules: modelRules, policy: monitors[m].policy,
                                              calibration: monitors[m].baseline.calibration)
            output.transitions += alertBook.apply(findings, windowIndex: report.windowIndex, rules: modelRules)
            output.reports.append(report)
            counters.windowsClosed += 1
            counters.late += report.lateRecords
        }
    }

    /// Whether windows closed (or transitions happened) since the last `takeOutput`.
    /// Applies the resolutions operators made in the store to the alert book (at each commit
    /// point): an alert resolved by hand opens a new episode on its next breach. Returns how
    /// many alerts were rewound.
    @discardableResult
    public mutating func applyOperatorResolutions(from reads: any AlertStateReads) throws -> Int {
        let open = alertBook.open
        guard !open.isEmpty else { return 0 }
        var rewound = 0
        for (fingerprint, since) in try reads.operatorResolved(among: open) where alertBook.operatorResolved(fingerprint, episodeSince: since) {
            rewound += 1
        }
        return rewound
    }

    public var hasWindowOutput: Bool { !output.reports.isEmpty || !output.transitions.isEmpty }

    /// What was produced since the last call.
    public mutating func takeOutput() -> PipelineOutput {
        defer { output = PipelineOutput() }
        return output
    }

    /// The whole state (every model), e.g. for tests; commit points use ``takeCheckpoint()``.
    public var checkpoint: PipelineCheckpoint {
        checkpoint(models: Array(monitors.indices))
    }

    /// The state to store with the output: the source's progress and the models changed
    /// since the previous call, so a commit costs what changed, not what exists. Call after
    /// `flush`, and store every checkpoint taken (a skipped one loses its models' changes).
    public mutating func takeCheckpoint() -> PipelineCheckpoint {
        let models = monitors.indices.filter { changed[$0] }
        for m in models { changed[m] = false }
        return checkpoint(models: models)
    }

    private func checkpoint(models indices: [Int]) -> PipelineCheckpoint {
        var models: [String: ModelCheckpoint] = [:]
        models.reserveCapacity(indices.count)
        for m in indices { models[monitors[m].baseline.model] = ModelCheckpoint(state: monitors[m].state, alerts: [:], source: source) }
        for (fingerprint, entry) in alertBook.entries where models[fingerprint.model] != nil {
            models[fingerprint.model]!.alerts[fingerprint] = entry
        }
        return PipelineCheckpoint(models: models, positions: positions, line: line, counters: counters,
                                  partitionKeys: partitionKeys.isEmpty ? nil : partitionKeys,
                                  modelPartitions: modelPartitionsByName)
    }

    private var modelPartitionsByName: [String: Int32]? {
        var named: [String: Int32] = [:]
        for m in monitors.indices where modelPartition[m] >= 0 { named[monitors[m].baseline.model] = modelPartition[m] }
        return named.isEmpty ? nil : named
    }

    /// What a partition hands over: its position and its models' state (call after `flush`).
    /// Nil while the partition has no position yet.
    public func handover(partition n: Int32, topic: String, kafkaPartition: Int32, writer: String, now: Int64) -> PartitionHandover? {
        guard let next = positions[n] else { return nil }
        var models: [String: ModelMonitorState] = [:]
        for m in monitors.indices where modelPartition[m] == n { models[monitors[m].baseline.model] = monitors[m].state }
        return PartitionHandover(topic: topic, partition: kafkaPartition, next: next, models: models,
                                 alerts: alertBook.entries(models: Set(models.keys)), writer: writer, writtenAt: now)
    }

    /// Takes over a partition from its previous owner: its position, and for each model it
    /// carries the open windows (when the baselines match) and the alert states.
    public mutating func adopt(_ handover: PartitionHandover, partition n: Int32) {
        positions[n] = handover.next
        var adopted = Set<String>()
        for m in monitors.indices {
            guard let state = handover.models[monitors[m].baseline.model] else { continue }
            adopted.insert(monitors[m].baseline.model)
            modelPartition[m] = n
            changed[m] = true
            // A state accumulated against another baseline has another pane layout: the
            // model starts afresh (its next windows are complete again soon).
            monitors[m].state = state.baselineVersion == monitors[m].baseline.version ? state : ModelMonitorState()
        }
        alertBook.replaceEntries(models: adopted, with: handover.alerts)
    }

    /// Restores a source's progress and its models' states. `models` are the store's
    /// per-model states (whichever source last fed them); a checkpoint from before states
    /// were kept per model carries them itself, and those models are written anew at the
    /// next commit point.
    public mutating func restore(_ c: PipelineCheckpoint?, models: [String: ModelCheckpoint] = [:]) {
        var entries: [AlertFingerprint: AlertBook.Entry] = [:]
        for m in monitors.indices {
            let name = monitors[m].baseline.model
            if let stored = models[name] ?? c?.models?[name] {
                if stored.state.baselineVersion == monitors[m].baseline.version {
                    monitors[m].state = stored.state
                    if stored.source != source { monitors[m].state.liveSince = nil; changed[m] = true }
                }
                entries.merge(stored.alerts) { a, _ in a }
            } else if let legacy = c?.monitors?[name] {
                if legacy.baselineVersion == monitors[m].baseline.version { monitors[m].state = legacy }
                entries.merge(c?.alertBook?.entries(models: [name]) ?? [:]) { a, _ in a }
                changed[m] = true
            }
        }
        alertBook = AlertBook(entries: entries)
        guard let c else { return }
        positions = c.positions
        line = c.line
        counters = c.counters
        partitionKeys = c.partitionKeys ?? [:]
        for m in monitors.indices { modelPartition[m] = c.modelPartitions?[monitors[m].baseline.model] ?? -1 }
    }
}
