/// A partition of a source topic (Kafka's topic and partition number).
public struct TopicPartition: Hashable, Codable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    public init(topic: String, partition: Int32) { self.topic = topic; self.partition = partition }
    public var description: String { "\(topic)/\(partition)" }
}

/// What a consumer-group member knows of its partitions: which it holds, whether they are
/// paused, the pipeline's number for each, and how far each was handed over on the
/// checkpoint topic.
public struct PartitionTable: Sendable, Equatable {
    /// topic/partition → the pipeline's partition number (the keys of its checkpoint).
    public private(set) var numbers: [TopicPartition: Int32] = [:]
    /// The partitions this member holds now (the whole assignment: the group rebalances eagerly).
    public private(set) var held: Set<TopicPartition> = []
    /// Whether the held partitions are paused because the store writer is behind.
    public private(set) var isPaused = false
    /// The next offset of the last handover published (or adopted) per partition.
    public private(set) var handedOver: [TopicPartition: Int64] = [:]

    /// The table of a pipeline whose checkpoint knows these `"topic/partition"` keys.
    public init(partitionKeys: [String: Int32] = [:]) {
        for (key, n) in partitionKeys {
            if let slash = key.lastIndex(of: "/"), let p = Int32(key[key.index(after: slash)...]) {
                numbers[TopicPartition(topic: String(key[..<slash]), partition: p)] = n
            }
        }
    }

    /// The pipeline's number of `partition`, and whether it was given just now (the caller
    /// records a new one in the pipeline's keys, so the checkpoint carries it).
    public mutating func number(_ partition: TopicPartition) -> (number: Int32, isNew: Bool) {
        if let n = numbers[partition] { return (n, false) }
        let n = (numbers.values.max() ?? -1) + 1
        numbers[partition] = n
        return (n, true)
    }

    /// Whether `partition` needs a new handover at a commit point: it moved since its last
    /// one, or windows closed (their states changed while the offset may not have).
    public func needsHandover(_ partition: TopicPartition, position: Int64?, windowsClosed: Bool) -> Bool {
        handedOver[partition] != position || windowsClosed
    }

    mutating func hold(_ partitions: [TopicPartition]) { held = Set(partitions) }
    mutating func release() { held = []; isPaused = false }
    mutating func setPaused(_ paused: Bool) { isPaused = paused }
    mutating func handedOver(_ partition: TopicPartition, next: Int64) { handedOver[partition] = next }
}

/// The Kafka consume loop's decisions as a state machine: the adapter (`KafkaDaemon`) tells
/// it what happened — a poll fed the pipeline, a commit point came, partitions were assigned
/// or are being revoked, commits became durable, a stop was asked — and performs the actions
/// it returns, in order. Nothing here does I/O or reads a clock, so every rebalance, pause
/// and shutdown sequence is a unit test (swift-kafka-client's consumer state machine is the
/// model). librdkafka's rebalance callback only turns into events.
///
/// The rules it keeps: the store commits first and Kafka's offsets follow, and only for
/// partitions still held (a revoked partition's offsets belong to its new owner); a
/// revocation checkpoints before the partitions go; a full store writer pauses consumption
/// until it catches up (nothing is dropped); a handover on the checkpoint topic wins only
/// when it is further along than the store; idle windows close only while partitions are
/// held (silence while joining is the group's, not the models').
public struct ConsumeLoop: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Records after which a commit point comes at the latest.
        public var commitEveryRecords: Int
        /// Milliseconds after which a commit point comes at the latest (when records came).
        public var commitIntervalMilliseconds: Int64
        /// Commits the store writer may have queued before consumption pauses.
        public var writerCapacity: Int
        public init(commitEveryRecords: Int = 100_000, commitIntervalMilliseconds: Int64 = 1_000, writerCapacity: Int = 2) {
            self.commitEveryRecords = commitEveryRecords
            self.commitIntervalMilliseconds = commitIntervalMilliseconds
            self.writerCapacity = max(1, writerCapacity)
        }
    }

    /// The newest handover of a partition found on the checkpoint topic.
    public struct HandoverOffer: Sendable, Equatable {
        /// The next offset to read after the state it carries.
        public var next: Int64
        public init(next: Int64) { self.next = next }
    }

    public enum Event: Sendable, Equatable {
        /// A poll handed `records` messages to the pipeline.
        case polled(records: Int)
        /// After the poll's windows were flushed and idle ones closed: whether the pipeline
        /// has window output, and how many commits the store writer holds.
        case commitPoint(now: Int64, windowOutput: Bool, writerPending: Int)
        /// The group assigned `partitions`: `positions` are the pipeline's next offsets of
        /// those it has state for, `handovers` the newest ones on the checkpoint topic.
        case assigned([TopicPartition], positions: [TopicPartition: Int64], handovers: [TopicPartition: HandoverOffer])
        /// The group is taking `partitions` away (librdkafka's revoke callback, before it unassigns).
        case revoking([TopicPartition], now: Int64)
        /// The revocation is done: the partitions are gone.
        case revoked([TopicPartition])
        /// The store made commits durable; their offsets, in order. `synchronously` when the
        /// caller waits for Kafka too (a revocation, a stop).
        case durable([[TopicPartition: Int64]], synchronously: Bool)
        /// Stop: drain, checkpoint, commit, leave.
        case shutdownRequested(now: Int64)
    }

    public enum Action: Sendable, Equatable {
        /// Give `partition` the pipeline number `number` (new to the checkpoint).
        case register(TopicPartition, number: Int32)
        /// Flush the decoded records into their windows.
        case flush
        /// Close the windows of models that fell silent.
        case closeIdleWindows
        /// Idle time counts from now (records can flow again).
        case noteRestart
        /// Take the pipeline's state over from the partition's handover on the checkpoint topic.
        case adoptHandover(TopicPartition, number: Int32)
        /// Where the assigned partitions start (absent ones: the group's committed offset,
        /// or `auto.offset.reset`).
        case start(at: [TopicPartition: Int64])
        /// A commit point: the pipeline's output and checkpoint (with the offsets and
        /// handovers of `partitions`) go to the store writer; with `waitForStore`, wait until
        /// the store has them, then report them `durable` synchronously.
        case commit(partitions: Set<TopicPartition>, waitForStore: Bool)
        case pause([TopicPartition])
        case resume([TopicPartition])
        /// Say once that the writer is behind and consumption paused.
        case reportWriterBehind
        /// Commit these offsets to Kafka.
        case commitOffsets([TopicPartition: Int64], synchronously: Bool)
        /// Forget the pipeline's positions of revoked partitions: when one comes back, the
        /// offset its owner committed rules.
        case forgetPositions([Int32])
        /// Leave the consumer group.
        case leave
    }

    public let settings: Settings
    public private(set) var table: PartitionTable
    /// How often consumption was paused because the store writer was behind.
    public private(set) var pauses = 0
    /// Records polled since the last commit point.
    public private(set) var sinceCommit = 0
    private var lastCommit: Int64
    public private(set) var hasLeft = false

    public init(settings: Settings = Settings(), table: PartitionTable = PartitionTable(), now: Int64) {
        self.settings = settings; self.table = table; lastCommit = now
    }

    public mutating func handle(_ event: Event) -> [Action] {
        switch event {
        case .polled(let records):
            sinceCommit += records
            var actions: [Action] = []
            if records > 0 { actions.append(.flush) }
            if !table.held.isEmpty { actions.append(.closeIdleWindows) }
            return actions
        case .commitPoint(let now, let windowOutput, let writerPending):
            return commitPoint(now: now, windowOutput: windowOutput, writerPending: writerPending)
        case .assigned(let partitions, let positions, let handovers):
            return assigned(partitions, positions: positions, handovers: handovers)
        case .revoking(let partitions, let now):
            // Checkpoint before the partitions go to another member.
            var actions: [Action] = [commit(now: now, waitForStore: true)]
            if table.isPaused { actions.append(.resume(partitions)) }
            return actions
        case .revoked(let partitions):
            table.release()
            return [.forgetPositions(partitions.compactMap { table.numbers[$0] })]
        case .durable(let commits, let synchronously):
            return commits.compactMap { offsets in
                let kept = offsets.filter { table.held.contains($0.key) }
                return kept.isEmpty ? nil : .commitOffsets(kept, synchronously: synchronously)
            }
        case .shutdownRequested(let now):
            guard !hasLeft else { return [] }
            hasLeft = true
            return [commit(now: now, waitForStore: true), .leave]
        }
    }

    /// A commit job when one is due and the writer has room; else pause until it has.
    private mutating func commitPoint(now: Int64, windowOutput: Bool, writerPending: Int) -> [Action] {
        var actions: [Action] = []
        var pending = writerPending
        let due = windowOutput || sinceCommit >= settings.commitEveryRecords
            || (sinceCommit > 0 && now - lastCommit >= settings.commitIntervalMilliseconds)
        if due {
            if pending < settings.writerCapacity {
                actions.append(commit(now: now, waitForStore: false))
                pending += 1
            } else if !table.isPaused {
                // The store is behind: stop fetching until it catches up; what was polled
                // stays in the pipeline for the next commit point.
                actions.append(.pause(held))
                table.setPaused(true)
                pauses += 1
                if pauses == 1 { actions.append(.reportWriterBehind) }
            }
        }
        if table.isPaused && pending < settings.writerCapacity {
            actions.append(.resume(held))
            table.setPaused(false)
        }
        return actions
    }

    /// Where each assigned partition starts: the store's position, or a handover further along.
    private mutating func assigned(_ partitions: [TopicPartition], positions: [TopicPartition: Int64],
                                   handovers: [TopicPartition: HandoverOffer]) -> [Action] {
        var actions: [Action] = [.flush]
        var starts: [TopicPartition: Int64] = [:]
        for tp in partitions {
            let (n, isNew) = table.number(tp)
            if isNew { actions.append(.register(tp, number: n)) }
            var start = positions[tp]
            // The handover wins when it is further along than what this store holds.
            if let offer = handovers[tp], offer.next > (start ?? -1) {
                actions.append(.adoptHandover(tp, number: n))
                table.handedOver(tp, next: offer.next)
                start = offer.next
            }
            if let start { starts[tp] = start }
        }
        table.hold(partitions)
        actions.append(.noteRestart)
        actions.append(.start(at: starts))
        return actions
    }

    /// The pipeline's number of a partition messages came from (registered at assignment;
    /// `isNew` only for a partition the group never assigned, which the caller registers).
    public mutating func number(_ partition: TopicPartition) -> (number: Int32, isNew: Bool) { table.number(partition) }

    /// Notes that a handover of `partition` up to `next` was published.
    public mutating func handedOver(_ partition: TopicPartition, next: Int64) { table.handedOver(partition, next: next) }

    private var held: [TopicPartition] { table.held.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) } }

    private mutating func commit(now: Int64, waitForStore: Bool) -> Action {
        lastCommit = now
        sinceCommit = 0
        return .commit(partitions: table.held, waitForStore: waitForStore)
    }
}

/// Where a pipeline's commit points go: one transaction with the window reports,
/// transitions, outbox entries, dead letters, pane states and the positions they reach
/// (DriftStore's `AlertStore` implements it). The daemon writes through this port only.
public protocol CommitSink: Sendable {
    func commit(_ output: PipelineOutput, checkpoint: PipelineCheckpoint, source: String) throws
}

/// What operators did to alerts in the store, read back by the pipeline, so that its alert
/// book and the store agree on which alerts are open (one source of truth for alert state:
/// the store records the operator's action, the book applies it as an event).
public protocol AlertStateReads: Sendable {
    /// Of `open` (fingerprint → the window its episode began in), the episodes an operator
    /// resolved, with the window they began in.
    func operatorResolved(among open: [AlertFingerprint: Int64]) throws -> [AlertFingerprint: Int64]
}

/// What the consume loop tells a metrics sink (the HTTP side's Prometheus registry
/// implements it): once per commit point the store has made durable, the consumer lag about
/// once a second, and each failed store attempt. Never per record.
public protocol PipelineObserver: Sendable {
    func observe(committed output: PipelineOutput, counters: PipelineCounters)
    func observe(consumerLag: [String: Int64])
    func observe(storeError kind: String)
}
