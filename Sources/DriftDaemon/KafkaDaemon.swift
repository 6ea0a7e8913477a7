import DriftCore
import DriftKafka
import DriftStore
import Foundation
import Logging

/// `driftd run`: the pipeline fed from Kafka. One thread polls batches, decodes and
/// accumulates; at each commit point the store transaction (reports, transitions, outbox,
/// dead letters, pane state, offsets) comes first and the Kafka offset commit after, so the
/// store stays the source of truth: on assignment each partition resumes at the offset in
/// the checkpoint, partitions never seen at `auto.offset.reset`.
public enum KafkaDaemon {
    public struct Options: Sendable {
        public var commitEveryRecords = 100_000
        public var commitIntervalSeconds = 1.0
        public var pollBatch = 10_000
        public var pollTimeoutMilliseconds: Int32 = 100
        /// Overrides `kafka.bootstrap` (the demo's embedded broker).
        public var bootstrapServers: String?
        /// Commits the store writer may have queued before consumption pauses.
        public var commitQueueCapacity = 2
        /// Where commit points are written (default: the store). The composition may wrap
        /// the store here (the hidden slow-disk check of the tests).
        public var commitSink: (any CommitSink)?
        /// How long a stop or a rebalance waits for a store that refuses writes (disk full)
        /// before it gives up its last commit (whose records are consumed again later).
        public var storeFaultPatienceSeconds = 10.0
        /// Waiting between attempts at a commit the store refused.
        public var storeRetryBackoff = StoreRetryBackoff()
        /// Threads that decode a poll's messages (default: the processors, at most 8); 1
        /// decodes on the polling thread. Accumulation stays on the polling thread, in poll order.
        public var decodingThreads: Int?
        /// Messages per decoding thread below which a poll is decoded on the polling thread.
        public var minimumMessagesPerDecodingThread = 512
        /// Names this daemon in the handovers it writes (default host:pid).
        public var instanceName: String?
        /// Fed once per commit point (after the store has it), with the consumer lag and with
        /// failed store attempts (the Prometheus registry, through the observer port).
        public var metrics: (any PipelineObserver)?
        /// Operator-facing events (partition taken over, checkpoint topic unreadable, the store
        /// behind or refusing writes), with `kafka.*` and `store.*` metadata.
        public var logger = Logger(label: "driftd")
        public init() {}
    }

    public struct Status: Sendable {
        public var records: Int64
        public var windowsClosed: Int64
        public var firing: Int
        public var rejected: Int64
        public var partitions: Int
        public var lastError: String?
        public var seconds: Double
        /// Seconds since the first message arrived (throughput without the group join).
        public var secondsFromFirstMessage: Double?
        /// How often consumption was paused because the store writer was behind.
        public var pauses: Int = 0
        /// The storage fault the daemon is waiting out (disk full, read-only, I/O), if any:
        /// consumption is paused until the store takes writes again.
        public var storeFault: String?
    }

    /// Runs until `shouldStop` says so; then drains, commits and leaves the group cleanly.
    public static func run(configuration: DriftConfiguration, store: AlertStore, options: Options = Options(),
                           shouldStop: (Int64) -> Bool, onStatus: ((Status) -> Void)? = nil,
                           onOutput: ((PipelineOutput) -> Void)? = nil) throws -> Status {
        let consumer = try KafkaConsumption(configuration: configuration, store: store, options: options, onOutput: onOutput)
        return try consumer.run(shouldStop: shouldStop, onStatus: onStatus)
    }
}

/// One run of `driftd run`'s consume loop: the adapter between librdkafka, the pipeline,
/// the store writer and the pure `ConsumeLoop`, whose actions it performs. It lives on the
/// consumer's thread; librdkafka's rebalance callbacks (which run inside its poll, on that
/// thread) only hand events to the loop.
final class KafkaConsumption {
    let kafka: KafkaConfiguration
    let store: AlertStore
    let sink: any CommitSink
    let options: KafkaDaemon.Options
    let source: String
    let instance: String
    let logger: Logger
    let started = Date()
    var pipeline: Pipeline
    var loop: ConsumeLoop
    let writer: CommitWriter
    /// Transitions also go to the alerts topic after the store commit that made them durable
    /// (the outbox stays the reliable path to on-call).
    let alertsProducer: KafkaProducer?
    /// Each held partition's position and state go to the checkpoint topic, so another
    /// member can take the partition over with its open windows.
    let handoverProducer: KafkaProducer?
    let alertsEncoder: JSONEncoder
    /// Plain keys: a key strategy would also rewrite model names used as dictionary keys.
    let handoverEncoder = JSONEncoder(), handoverDecoder = JSONDecoder()
    let onOutput: ((PipelineOutput) -> Void)?
    var consumer: KafkaConsumer?
    var commitFailure: (any Error)?
    var firstMessage: Date?

    init(configuration: DriftConfiguration, store: AlertStore, options: KafkaDaemon.Options, onOutput: ((PipelineOutput) -> Void)?) throws {
        guard var kafka = configuration.kafka else {
            throw InputFailure(message: "\(configuration.file) has no `kafka:` section — add bootstrap, topics and group to consume from Kafka")
        }
        if let b = options.bootstrapServers { kafka.bootstrapServers = b }
        self.kafka = kafka
        self.store = store
        self.sink = options.commitSink ?? store
        self.options = options
        self.onOutput = onOutput
        source = "kafka:" + kafka.group
        instance = options.instanceName ?? "\(ProcessInfo.processInfo.hostName):\(getpid())"
        logger = options.logger
        let (monitors, rules) = try Replay.monitors(configuration: configuration, store: store)
        pipeline = Pipeline(source: source, monitors: monitors, rules: rules)
        pipeline.isLive = true
        pipeline.restore(try store.checkpoint(source: source), models: try store.modelCheckpoints())
        // Alerts resolved by hand since the models' states were stored: from the first window on.
        try pipeline.applyOperatorResolutions(from: store)
        let now = Clock.milliseconds()
        pipeline.noteRestart(now: now)
        loop = ConsumeLoop(settings: .init(commitEveryRecords: options.commitEveryRecords,
                                           commitIntervalMilliseconds: Int64(options.commitIntervalSeconds * 1000),
                                           writerCapacity: options.commitQueueCapacity),
                           table: PartitionTable(partitionKeys: pipeline.partitionKeys), now: now)
        var producerProperties = kafka.properties
        producerProperties["bootstrap.servers"] = kafka.bootstrapServers
        alertsProducer = try kafka.alertsTopic.map { _ in try KafkaProducer(properties: producerProperties) }
        handoverProducer = try kafka.checkpointTopic.map { _ in try KafkaProducer(properties: producerProperties) }
        alertsEncoder = JSONEncoder()
        alertsEncoder.keyEncodingStrategy = .convertToSnakeCase
        alertsEncoder.outputFormatting = [.sortedKeys]
        let metrics = options.metrics
        writer = CommitWriter(capacity: options.commitQueueCapacity, backoff: options.storeRetryBackoff,
                              onFailedAttempt: { metrics?.observe(storeError: $0.kind.rawValue) })
    }

    deinit { writer.stop(faultPatience: 0) }

    func run(shouldStop: (Int64) -> Bool, onStatus: ((KafkaDaemon.Status) -> Void)?) throws -> KafkaDaemon.Status {
        defer {
            // The rebalance handlers refer back to this object: break that cycle so the
            // consumer (and its librdkafka threads) go away now.
            consumer = nil
        }
        let consumer = try KafkaConsumer(
            properties: kafka.consumerProperties, subscribe: kafka.topics,
            onAssign: { [unowned self] parts in assigned(parts) },
            onRevoke: { [unowned self] parts in revoke(parts) })
        self.consumer = consumer
        SystemdNotify.send("READY=1\nSTATUS=consuming \(kafka.topics.joined(separator: ","))")
        // Decoding is most of a record's cost: a poll's messages are decoded on every core,
        // in contiguous runs, and the runs accumulated in poll order on this thread (the
        // results are those of decoding message by message).
        let decoding = ParallelMessageDecoding(pipeline: pipeline, threads: options.decodingThreads ?? Swift.min(SampleFiles.processorCount, 8),
                                               minimumPerThread: options.minimumMessagesPerDecodingThread)
        var lastStatus = Date()
        var storeFaultSaid = LastingCondition()
        while !shouldStop(pipeline.counters.records) {
            let n = poll(consumer, decoding: decoding)
            if let failure = commitFailure ?? writer.failure { throw failure }
            try perform(loop.handle(.durable(finishedOffsets(), synchronously: false)))
            if n > 0 && firstMessage == nil { firstMessage = Date() }
            let now = Clock.milliseconds()
            try perform(loop.handle(.polled(records: n)))
            try perform(loop.handle(.commitPoint(now: now, windowOutput: pipeline.hasWindowOutput, writerPending: writer.pending)))
            reportStoreFaults(&storeFaultSaid)
            if Date().timeIntervalSince(lastStatus) >= 1 {
                observeLag(consumer)
                onStatus?(status())
                lastStatus = Date()
            }
        }
        SystemdNotify.send("STOPPING=1")
        try perform(loop.handle(.shutdownRequested(now: Clock.milliseconds())))
        try? alertsProducer?.flush(timeoutMilliseconds: 10_000)
        try? handoverProducer?.flush(timeoutMilliseconds: 10_000)
        return status()
    }

    /// One poll: its messages, tagged with the pipeline's partition numbers, decoded into the pipeline.
    private var polled: [PolledMessage] = []
    /// (topic index, partition) → partition number, without hashing strings per message.
    private var fast: [Int64: Int32] = [:]
    private func poll(_ consumer: KafkaConsumer, decoding: ParallelMessageDecoding) -> Int {
        consumer.pollAll(maximum: options.pollBatch, timeoutMilliseconds: options.pollTimeoutMilliseconds) { messages in
            polled.removeAll(keepingCapacity: true)
            for m in messages {
                let key = Int64(m.topicIndex) << 32 | Int64(UInt32(bitPattern: m.partition))
                let partition: Int32
                if let known = fast[key] { partition = known } else {
                    let tp = TopicPartition(topic: consumer.topics[m.topicIndex], partition: m.partition)
                    let (number, isNew) = loop.number(tp)
                    if isNew { pipeline.partitionKeys[tp.description] = number }
                    partition = number
                    fast[key] = partition
                }
                polled.append(PolledMessage(partition: partition, next: m.offset + 1, payload: m.payload, topicIndex: m.topicIndex,
                                            sourcePartition: m.partition, offset: m.offset))
            }
            decoding.feed(polled, topics: consumer.topics, into: &pipeline, now: Clock.milliseconds())
        }
    }

    // MARK: Rebalances (inside librdkafka's poll, on this thread)

    private func assigned(_ parts: [TopicPartition]) -> [TopicPartition: Int64] {
        var positions: [TopicPartition: Int64] = [:]
        var offers: [TopicPartition: ConsumeLoop.HandoverOffer] = [:]
        let handovers = readHandovers(parts)
        for tp in parts {
            if let n = loop.table.numbers[tp], let next = pipeline.positions[n] { positions[tp] = next }
            if let h = handovers[tp] { offers[tp] = .init(next: h.next) }
        }
        var starts: [TopicPartition: Int64] = [:]
        for action in loop.handle(.assigned(parts, positions: positions, handovers: offers)) {
            switch action {
            case .adoptHandover(let tp, let n):
                guard let h = handovers[tp] else { continue }
                pipeline.adopt(h, partition: n)
                let said = h.writer == instance ? "resumed \(tp) at offset \(h.next) from its handover"
                    : "took over \(tp) at offset \(h.next) with \(h.models.count) model(s) from \(h.writer)"
                logger.notice("\(said)", metadata: ["kafka.topic": "\(tp.topic)", "kafka.partition": "\(tp.partition)", "kafka.offset": "\(h.next)"])
            case .start(let at):
                starts = at
            default:
                // register, flush and noteRestart: nothing here can fail.
                try? perform([action])
            }
        }
        return starts
    }

    private func revoke(_ parts: [TopicPartition]) {
        do {
            try perform(loop.handle(.revoking(parts, now: Clock.milliseconds())))
        } catch {
            commitFailure = error
        }
        try? perform(loop.handle(.revoked(parts)))
    }

    /// The newest handover of each of `parts` on the checkpoint topic (none without one).
    private func readHandovers(_ parts: [TopicPartition]) -> [TopicPartition: PartitionHandover] {
        guard let topic = kafka.checkpointTopic else { return [:] }
        var properties = kafka.properties
        properties["bootstrap.servers"] = kafka.bootstrapServers
        let latest: [String: [UInt8]]
        do { latest = try KafkaTopicSnapshot.latestByKey(properties: properties, topic: topic) } catch {
            logger.warning("cannot read the checkpoint topic (\(error)); resuming from this store's checkpoint and the group's offsets",
                           metadata: ["kafka.topic": "\(topic)"])
            return [:]
        }
        var found: [TopicPartition: PartitionHandover] = [:]
        for tp in parts {
            if let bytes = latest[handoverKey(tp)], let h = try? handoverDecoder.decode(PartitionHandover.self, from: Data(bytes)) { found[tp] = h }
        }
        return found
    }

    private func handoverKey(_ tp: TopicPartition) -> String { "\(kafka.group)/\(tp.topic)/\(tp.partition)" }

    // MARK: Actions

    private func perform(_ actions: [ConsumeLoop.Action]) throws {
        for action in actions {
            switch action {
            case .register(let tp, let n): pipeline.partitionKeys[tp.description] = n
            case .flush: pipeline.flush(now: Clock.milliseconds())
            case .closeIdleWindows: pipeline.closeIdle(now: Clock.milliseconds())
            case .noteRestart: pipeline.noteRestart(now: Clock.milliseconds())
            case .adoptHandover, .start: break  // only during an assignment (`assigned`)
            case .commit(let partitions, let waitForStore): try commit(partitions: partitions, waitForStore: waitForStore)
            case .pause(let parts): consumer?.pause(parts)
            case .resume(let parts): consumer?.resume(parts)
            case .reportWriterBehind:
                logger.warning("the store writer is behind (\(writer.pending) commits queued): partitions paused until it catches up; pauses are counted in the status")
            case .commitOffsets(let offsets, let synchronously): consumer?.commit(offsets, synchronously: synchronously)
            case .forgetPositions(let numbers): for n in numbers { pipeline.forgetPosition(partition: n) }
            case .leave: consumer?.close()
            }
        }
    }

    /// The offsets of the commits the store has made durable since the last call; their
    /// output goes to the metrics and the operator now.
    private func finishedOffsets() -> [[TopicPartition: Int64]] {
        writer.takeFinished().map { done in
            options.metrics?.observe(committed: done.output, counters: done.counters)
            onOutput?(done.output)
            return done.offsets
        }
    }

    /// A commit point: the state is taken here and written by the store writer. With
    /// `waitForStore` it returns once the store (and Kafka) have it.
    private func commit(partitions held: Set<TopicPartition>, waitForStore: Bool) throws {
        // Alerts operators resolved in the store since the last commit point: the book
        // follows before more windows close, so their next breach fires again. A store that
        // cannot be read now is read at the next commit point.
        do { try pipeline.applyOperatorResolutions(from: store) } catch {
            logger.warning("cannot read the alerts operators resolved (\(error)); trying again at the next commit point")
        }
        pipeline.flush(now: Clock.milliseconds())
        let output = pipeline.takeOutput()
        let checkpoint = pipeline.takeCheckpoint()
        var alerts: [(key: [UInt8], body: Data)] = []
        if kafka.alertsTopic != nil {
            for t in output.transitions where t.notifies {
                if let body = try? alertsEncoder.encode(t) { alerts.append((Array(t.fingerprint.description.utf8), body)) }
            }
        }
        let handovers = try encodeHandovers(held, windowsClosed: !output.isEmpty)
        var offsets: [TopicPartition: Int64] = [:]
        for tp in held { if let n = loop.table.numbers[tp], let next = pipeline.positions[n] { offsets[tp] = next } }
        let sink = sink, source = source, logger = logger
        let alertsProducer = alertsProducer, alertsTopic = kafka.alertsTopic
        let handoverProducer = handoverProducer, checkpointTopic = kafka.checkpointTopic
        let sendable = (alerts: alerts, handovers: handovers)
        writer.submit(CommitWriter.Job(output: output, counters: pipeline.counters, offsets: offsets, store: {
            try sink.commit(output, checkpoint: checkpoint, source: source)
        }, afterStore: {
            if let alertsProducer, let alertsTopic {
                for a in sendable.alerts { try? a.body.withUnsafeBytes { try alertsProducer.send(topic: alertsTopic, key: a.key, value: $0) } }
            }
            // Handovers are delivered before the offsets move on: a successor never
            // starts past the state it can find.
            if let handoverProducer, let checkpointTopic, !sendable.handovers.isEmpty {
                do {
                    for h in sendable.handovers { try h.body.withUnsafeBytes { try handoverProducer.send(topic: checkpointTopic, key: h.key, value: $0) } }
                    try handoverProducer.flush(timeoutMilliseconds: 10_000)
                } catch {
                    logger.warning("cannot publish handovers to the checkpoint topic: \(error)", metadata: ["kafka.topic": "\(checkpointTopic)"])
                }
            }
        }))
        guard waitForStore else { return }
        if !writer.drain(faultPatience: options.storeFaultPatienceSeconds), let e = writer.failure as? StoreError, e.isRetriable {
            throw StoreError(e.description + " — driftd stopped without its last commit: the records since the one before are "
                             + "consumed again at the next start (nothing is lost)", kind: e.kind)
        }
        if let failure = writer.failure { throw failure }
        try perform(loop.handle(.durable(finishedOffsets(), synchronously: true)))
    }

    /// The handovers of the held partitions that moved since their last one (or all, when
    /// windows closed).
    private func encodeHandovers(_ held: Set<TopicPartition>, windowsClosed: Bool) throws -> [(key: [UInt8], body: Data)] {
        guard kafka.checkpointTopic != nil else { return [] }
        var handovers: [(key: [UInt8], body: Data)] = []
        for tp in held {
            guard let n = loop.table.numbers[tp], loop.table.needsHandover(tp, position: pipeline.positions[n], windowsClosed: windowsClosed),
                  let h = pipeline.handover(partition: n, topic: tp.topic, kafkaPartition: tp.partition, writer: instance, now: Clock.milliseconds())
            else { continue }
            handovers.append((Array(handoverKey(tp).utf8), try handoverEncoder.encode(h)))
            loop.handedOver(tp, next: h.next)
        }
        return handovers
    }

    // MARK: Status

    /// A storage fault is waited out (the writer retries, the full queue pauses the
    /// partitions); the operator hears of it at once, then once a minute, and when it ends.
    private func reportStoreFaults(_ said: inout LastingCondition) {
        if let fault = writer.fault, said.shouldSay(fault.error.description) {
            logger.error("\(fault.error) — consumption paused, state kept in memory; retrying (failed attempts: \(fault.attempts) since \(fault.since.formatted(.iso8601)))")
        }
        for recovery in writer.takeRecoveries() {
            let text = String(format: "the store %@ takes writes again after %.0f s (%d failed attempts, %@): resuming", store.path,
                              Date().timeIntervalSince(recovery.since), recovery.attempts, recovery.error.kind.rawValue)
            logger.notice("\(text)")
            said.end()
        }
    }

    private func observeLag(_ consumer: KafkaConsumer) {
        guard let metrics = options.metrics else { return }
        var lag: [String: Int64] = [:]
        for (tp, high) in consumer.highWatermarks() {
            if let n = loop.table.numbers[tp], let next = pipeline.positions[n] { lag[tp.description] = high - next }
        }
        metrics.observe(consumerLag: lag)
    }

    private func status() -> KafkaDaemon.Status {
        KafkaDaemon.Status(records: pipeline.counters.records, windowsClosed: pipeline.counters.windowsClosed, firing: pipeline.alertBook.firing.count,
                           rejected: pipeline.counters.rejected, partitions: consumer?.assignment.count ?? 0, lastError: consumer?.lastError,
                           seconds: Date().timeIntervalSince(started), secondsFromFirstMessage: firstMessage.map { Date().timeIntervalSince($0) },
                           pauses: loop.pauses,
                           storeFault: writer.fault.map { "the store refuses writes since \($0.since.formatted(.iso8601)) (\($0.error.kind.rawValue), \($0.attempts) attempts)" })
    }
}

/// A poll's messages decoded on several threads, each run into its own decoder, then
/// absorbed in poll order; a small poll is ingested message by message on the caller's thread.
/// `@unchecked`: its slots are each used by one decoding thread inside `concurrentPerform`
/// and by the polling thread only between polls.
final class ParallelMessageDecoding: @unchecked Sendable {
    private let slots: [DecodingSlot]
    private let minimumPerThread: Int

    init(pipeline: Pipeline, threads: Int, minimumPerThread: Int) {
        let count = Swift.max(1, threads)
        slots = (0..<count).map { _ in DecodingSlot(decoder: pipeline.makeDecoder()) }
        self.minimumPerThread = Swift.max(1, minimumPerThread)
    }

    func feed(_ messages: [PolledMessage], topics: [String], into pipeline: inout Pipeline, now: Int64) {
        let threads = Swift.min(slots.count, messages.count / minimumPerThread)
        guard threads > 1 else {
            for m in messages {
                pipeline.ingest(m.payload, position: SourcePosition(partition: m.partition, offset: m.next),
                                origin: "kafka:\(topics[m.topicIndex])/\(m.sourcePartition)@\(m.offset)")
            }
            return
        }
        let runs = ResultSlots<DecodedMessages>(count: threads)
        let slots = self.slots
        messages.withUnsafeBufferPointer { all in
            let shared = SharedMessages(buffer: all)
            DispatchQueue.concurrentPerform(iterations: threads) { k in
                let range = shared.buffer.count * k / threads ..< shared.buffer.count * (k + 1) / threads
                runs[k] = Pipeline.decodeMessages(UnsafeBufferPointer(rebasing: shared.buffer[range]), topics: topics, into: &slots[k].decoder)
            }
        }
        // Ingested messages still in the pipeline's own decoder come first (none, normally).
        pipeline.flush(now: now)
        for k in 0..<threads { pipeline.absorb(runs[k]!, from: &slots[k].decoder, now: now) }
    }
}

/// A poll's messages, read (never written) by the decoding threads.
struct SharedMessages: @unchecked Sendable { let buffer: UnsafeBufferPointer<PolledMessage> }
