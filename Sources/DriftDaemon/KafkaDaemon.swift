import DriftCore
import DriftHTTP
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
        /// Tests: each store commit takes this much longer (a slow disk).
        public var commitDelayMillisecondsForTesting = 0
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
        /// Fed once per commit point (after the store has it) and with the consumer lag.
        public var metrics: DriftMetrics?
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
        guard var kafka = configuration.kafka else {
            throw InputFailure(message: "\(configuration.file) has no `kafka:` section — add bootstrap, topics and group to consume from Kafka")
        }
        if let b = options.bootstrapServers { kafka.bootstrapServers = b }
        let started = Date()
        let source = "kafka:" + kafka.group
        let (monitors, rules) = try Replay.monitors(configuration: configuration, store: store)
        var pipeline = Pipeline(source: source, monitors: monitors, rules: rules)
        pipeline.isLive = true
        pipeline.restore(try store.checkpoint(source: source), models: try store.modelCheckpoints())
        pipeline.noteRestart(now: Clock.milliseconds())

        // "topic/partition" ↔ the partition number the pipeline's positions use.
        var numbers: [TopicPartition: Int32] = [:]
        for (key, n) in pipeline.partitionKeys {
            if let slash = key.lastIndex(of: "/"), let p = Int32(key[key.index(after: slash)...]) {
                numbers[TopicPartition(topic: String(key[..<slash]), partition: p)] = n
            }
        }
        func number(_ tp: TopicPartition) -> Int32 {
            if let n = numbers[tp] { return n }
            let n = Int32(numbers.count)
            numbers[tp] = n
            pipeline.partitionKeys["\(tp.topic)/\(tp.partition)"] = n
            return n
        }
        var lastCommit = Date()
        var sinceCommit = 0
        // Transitions are also published to the alerts topic, after the store commit that
        // made them durable (the outbox stays the reliable path to on-call).
        var alertsProperties = kafka.properties
        alertsProperties["bootstrap.servers"] = kafka.bootstrapServers
        let alertsProducer = try kafka.alertsTopic.map { _ in try KafkaProducer(properties: alertsProperties) }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        // Each held partition's position and state also go to the checkpoint topic, so
        // another member can take the partition over with its open windows.
        let handoverProducer = try kafka.checkpointTopic.map { _ in try KafkaProducer(properties: alertsProperties) }
        let instance = options.instanceName ?? "\(ProcessInfo.processInfo.hostName):\(getpid())"
        let logger = options.logger
        func handoverKey(_ tp: TopicPartition) -> String { "\(kafka.group)/\(tp.topic)/\(tp.partition)" }
        var handedOver: [TopicPartition: Int64] = [:]
        var consumerRef: KafkaConsumer?
        let metrics = options.metrics
        let writer = CommitWriter(capacity: options.commitQueueCapacity,
                                  backoff: options.storeRetryBackoff,
                                  onFailedAttempt: { metrics?.observe(storeError: $0.kind.rawValue) })
        defer { writer.stop(faultPatience: 0) }
        let slowStore = options.commitDelayMillisecondsForTesting
        // Offsets and output of commits the store has made durable: now Kafka and the
        // operator may hear of them (only partitions still held: a revoked one's offsets
        // belong to its new owner).
        func finishCommitted(synchronously: Bool = false) {
            let held = Set(consumerRef?.assignment ?? [])
            for done in writer.takeFinished() {
                options.metrics?.observe(committed: done.output, counters: done.counters)
                onOutput?(done.output)
                consumerRef?.commit(done.offsets.filter { held.contains($0.key) }, synchronously: synchronously)
            }
        }
        /// A commit point: the state is taken here, written by the store writer. With
        /// `waitForStore` it returns once the store (and Kafka) have it.
        func commit(waitForStore: Bool = false) throws {
            pipeline.flush(now: Clock.milliseconds())
            let output = pipeline.takeOutput()
            let checkpoint = pipeline.takeCheckpoint()
            let held = Set(consumerRef?.assignment ?? [])
            var alerts: [(key: [UInt8], body: Data)] = []
            if kafka.alertsTopic != nil {
                for t in output.transitions where t.notifies {
                    if let body = try? encoder.encode(t) { alerts.append((Array(t.fingerprint.description.utf8), body)) }
                }
            }
            var handovers: [(key: [UInt8], body: Data)] = []
            if kafka.checkpointTopic != nil {
                for tp in held {
                    // Only what moved since the last handover (or when windows closed) is encoded.
                    guard let n = numbers[tp], handedOver[tp] != pipeline.positions[n] || !output.isEmpty,
                          let h = pipeline.handover(partition: n, topic: tp.topic, kafkaPartition: tp.partition, writer: instance, now: Clock.milliseconds())
                    else { continue }
                    handovers.append((Array(handoverKey(tp).utf8), try handoverCoding.encoder.encode(h)))
                    handedOver[tp] = h.next
                }
            }
            var offsets: [TopicPartition: Int64] = [:]
            for (tp, n) in numbers where held.contains(tp) { if let next = pipeline.positions[n] { offsets[tp] = next } }
            let alertsTopic = kafka.alertsTopic, checkpointTopic = kafka.checkpointTopic
            let sendable = (alerts: alerts, handovers: handovers)
            writer.submit(CommitWriter.Job(output: output, counters: pipeline.counters, offsets: offsets, store: {
                if slowStore > 0 { usleep(UInt32(slowStore) * 1000) }
                try store.commit(output, checkpoint: checkpoint, source: source)
            }, afterStore: {
                // Transitions also go to the alerts topic, after the store made them durable
                // (the outbox stays the reliable path to on-call).
                if let alertsProducer, let alertsTopic {
                    for a in sendable.alerts { try? a.body.withUnsafeBytes { try alertsProducer.send(topic: alertsTopic, key: a.key, value: $0) } }
                }
                // Handovers are delivered before the offsets move on: a successor never
                // starts past the state it can find.
                if let handoverProducer, let checkpointTopic, !sendable.handovers.isEmpty {
                    do {
                        for h in sendable.handovers { try h.body.withUnsafeBytes { try handoverProducer.send(topic: checkpointTopic, key: h.key, value: $0) } }
                        try handoverProducer.flush(timeoutMilliseconds: 10_000)
                    } catch { logger.warning("cannot publish handovers to the checkpoint topic: \(error)", metadata: ["kafka.topic": "\(checkpointTopic)"]) }
                }
            }))
            lastCommit = Date()
            sinceCommit = 0
            if waitForStore {
                if !writer.drain(faultPatience: options.storeFaultPatienceSeconds), let e = writer.failure as? StoreError, e.isRetriable {
                    throw StoreError(e.description + " — driftd stopped without its last commit: the records since the one before are "
                                     + "consumed again at the next start (nothing is lost)", kind: e.kind)
                }
                if let failure = writer.failure { throw failure }
                finishCommitted(synchronously: true)
            }
        }
        // Plain keys: a key strategy would also rewrite model names used as dictionary keys.
        let handoverCoding = (encoder: JSONEncoder(), decoder: JSONDecoder())
        var commitFailure: Error?
        var paused = false
        var pauses = 0
        let consumer = try KafkaConsumer(
            properties: kafka.consumerProperties, subscribe: kafka.topics,
            onAssign: { parts in
                var handovers: [String: [UInt8]] = [:]
                if let topic = kafka.checkpointTopic {
                    var readerProperties = kafka.properties
                    readerProperties["bootstrap.servers"] = kafka.bootstrapServers
                    do { handovers = try KafkaTopicSnapshot.latestByKey(properties: readerProperties, topic: topic) } catch {
                        logger.warning("cannot read the checkpoint topic (\(error)); resuming from this store's checkpoint and the group's offsets",
                                       metadata: ["kafka.topic": "\(topic)"])
                    }
                }
                pipeline.flush(now: Clock.milliseconds())
                var starts: [TopicPartition: Int64] = [:]
                for tp in parts {
                    let n = number(tp)
                    // The handover wins when it is further along than what this store holds.
                    if let bytes = handovers[handoverKey(tp)],
                       let h = try? handoverCoding.decoder.decode(PartitionHandover.self, from: Data(bytes)),
                       h.next > (pipeline.positions[n] ?? -1) {
                        pipeline.adopt(h, partition: n)
                        handedOver[tp] = h.next
                        let said = h.writer == instance ? "resumed \(tp) at offset \(h.next) from its handover"
                            : "took over \(tp) at offset \(h.next) with \(h.models.count) model(s) from \(h.writer)"
                        logger.notice("\(said)", metadata: ["kafka.topic": "\(tp.topic)", "kafka.partition": "\(tp.partition)", "kafka.offset": "\(h.next)"])
                    }
                    if let next = pipeline.positions[n] { starts[tp] = next }
                }
                // Idle time counts from when records can flow again (adopted states included).
                pipeline.noteRestart(now: Clock.milliseconds())
                return starts
            },
            onRevoke: { parts in
                // Checkpoint before the partitions go to another member, then forget their
                // positions: when one comes back, the offset its owner committed rules.
                do { try commit(waitForStore: true) } catch { commitFailure = error }
                if paused { consumerRef?.resume(parts); paused = false }
                for tp in parts { pipeline.forgetPosition(partition: number(tp)) }
            })
        consumerRef = consumer
        SystemdNotify.send("READY=1\nSTATUS=consuming \(kafka.topics.joined(separator: ","))")
        // (topic index, partition) → partition number, without hashing strings per message.
        var fast: [Int64: Int32] = [:]
        func status() -> Status {
            Status(records: pipeline.counters.records, windowsClosed: pipeline.counters.windowsClosed, firing: pipeline.alertBook.firing.count,
                   rejected: pipeline.counters.rejected, partitions: consumer.assignment.count, lastError: consumer.lastError,
                   seconds: Date().timeIntervalSince(started), secondsFromFirstMessage: firstMessage.map { Date().timeIntervalSince($0) }, pauses: pauses,
                   storeFault: writer.fault.map { "the store refuses writes since \($0.since.formatted(.iso8601)) (\($0.error.kind.rawValue), \($0.attempts) attempts)" })
        }
        var lastStatus = Date()
        var firstMessage: Date?
        var storeFaultSaid = LastingCondition()
        // Decoding is most of a record's cost: a poll's messages are decoded on every core,
        // in contiguous runs, and the runs accumulated in poll order on this thread (the
        // results are those of decoding message by message).
        let decoding = ParallelMessageDecoding(pipeline: pipeline, threads: options.decodingThreads ?? Swift.min(SampleFiles.processorCount, 8),
                                               minimumPerThread: options.minimumMessagesPerDecodingThread)
        var polled: [PolledMessage] = []
        while !shouldStop(pipeline.counters.records) {
            let n = consumer.pollAll(maximum: options.pollBatch, timeoutMilliseconds: options.pollTimeoutMilliseconds) { messages in
                polled.removeAll(keepingCapacity: true)
                for m in messages {
                    let key = Int64(m.topicIndex) << 32 | Int64(UInt32(bitPattern: m.partition))
                    let partition: Int32
                    if let known = fast[key] { partition = known } else {
                        partition = number(TopicPartition(topic: consumer.topics[m.topicIndex], partition: m.partition))
                        fast[key] = partition
                    }
                    polled.append(PolledMessage(partition: partition, next: m.offset + 1, payload: m.payload, topicIndex: m.topicIndex,
                                                sourcePartition: m.partition, offset: m.offset))
                }
                decoding.feed(polled, topics: consumer.topics, into: &pipeline, now: Clock.milliseconds())
            }
            if let failure = commitFailure ?? writer.failure { throw failure }
            finishCommitted()
            if n > 0 && firstMessage == nil { firstMessage = Date() }
            sinceCommit += n
            let now = Clock.milliseconds()
            // Idle closing on every turn: a silent model must be reported while others stream.
            // Not while this member holds no partitions (joining, or waiting out a dead
            // member's session): silence then is the group's, not the models'.
            if n > 0 { pipeline.flush(now: now) }
            if !consumer.assignment.isEmpty { pipeline.closeIdle(now: now) }
            if pipeline.hasWindowOutput || sinceCommit >= options.commitEveryRecords
                || (sinceCommit > 0 && Date().timeIntervalSince(lastCommit) >= options.commitIntervalSeconds) {
                if !writer.isFull {
                    try commit()
                } else if !paused {
                    // The store is behind: stop fetching until it catches up; what was
                    // polled stays in the pipeline for the next commit.
                    consumer.pause(consumer.assignment)
                    paused = true
                    pauses += 1
                    if pauses == 1 { logger.warning("the store writer is behind (\(writer.pending) commits queued): partitions paused until it catches up; pauses are counted in the status") }
                }
            }
            if paused && !writer.isFull {
                consumer.resume(consumer.assignment)
                paused = false
            }
            // A storage fault is waited out (the writer retries, the full queue pauses the
            // partitions); the operator hears of it at once, then once a minute, and when it ends.
            if let fault = writer.fault, storeFaultSaid.shouldSay(fault.error.description) {
                logger.error("\(fault.error) — consumption paused, state kept in memory; retrying (failed attempts: \(fault.attempts) since \(fault.since.formatted(.iso8601)))")
            }
            for recovery in writer.takeRecoveries() {
                logger.notice("\(String(format: "the store %@ takes writes again after %.0f s (%d failed attempts, %@): resuming", store.path, Date().timeIntervalSince(recovery.since), recovery.attempts, recovery.error.kind.rawValue))")
                storeFaultSaid.end()
            }
            if Date().timeIntervalSince(lastStatus) >= 1 {
                if let metrics = options.metrics {
                    var lag: [String: Int64] = [:]
                    for (tp, high) in consumer.highWatermarks() {
                        if let n = numbers[tp], let next = pipeline.positions[n] { lag[tp.description] = high - next }
                    }
                    metrics.observe(consumerLag: lag)
                }
                onStatus?(status())
                lastStatus = Date()
            }
        }
        SystemdNotify.send("STOPPING=1")
        try commit(waitForStore: true)
        consumer.close()
        try? alertsProducer?.flush(timeoutMilliseconds: 10_000)
        try? handoverProducer?.flush(timeoutMilliseconds: 10_000)
        let last = status()
        // The revocation handler refers back to the consumer: break that cycle so the
        // consumer (and its librdkafka threads) go away now.
        consumerRef = nil
        return last
    }
}

/// A poll's messages decoded on several threads, each run into its own decoder, then
/// absorbed in poll order; a small poll is ingested message by message on the caller's thread.
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
