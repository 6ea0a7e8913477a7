import DriftCore
import DriftKafka
import DriftStore
import Foundation

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
        /// Names this daemon in the handovers it writes (default host:pid).
        public var instanceName: String?
        /// Operator-facing events (partition taken over, checkpoint topic unreadable).
        public var log: (@Sendable (String) -> Void)?
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
        if let checkpoint = try store.checkpoint(source: source) { pipeline.restore(checkpoint) }
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
        let log = options.log ?? { _ in }
        func handoverKey(_ tp: TopicPartition) -> String { "\(kafka.group)/\(tp.topic)/\(tp.partition)" }
        var handedOver: [TopicPartition: Int64] = [:]
        var consumerRef: KafkaConsumer?
        func commit(synchronously: Bool = false) throws {
            pipeline.flush(now: Clock.milliseconds())
            let output = pipeline.takeOutput()
            try store.commit(output, checkpoint: pipeline.checkpoint, source: source)
            if let alertsProducer, let topic = kafka.alertsTopic {
                for t in output.transitions where t.notifies {
                    if let body = try? encoder.encode(t) {
                        try? body.withUnsafeBytes { try alertsProducer.send(topic: topic, key: Array(t.fingerprint.description.utf8), value: $0) }
                    }
                }
            }
            onOutput?(output)
            let held = Set(consumerRef?.assignment ?? [])
            if let handoverProducer, let topic = kafka.checkpointTopic {
                var sent = 0
                for tp in held {
                    guard let n = numbers[tp],
                          let h = pipeline.handover(partition: n, topic: tp.topic, kafkaPartition: tp.partition, writer: instance, now: Clock.milliseconds()),
                          handedOver[tp] != h.next || !output.isEmpty else { continue }
                    let body = try handoverCoding.encoder.encode(h)
                    try body.withUnsafeBytes { try handoverProducer.send(topic: topic, key: Array(handoverKey(tp).utf8), value: $0) }
                    handedOver[tp] = h.next
                    sent += 1
                }
                // Delivered before the offsets move on: a successor never starts past the
                // state it can find.
                if sent > 0 {
                    do { try handoverProducer.flush(timeoutMilliseconds: 10_000) } catch { log("checkpoint topic \(topic): \(error)") }
                }
            }
            // Only partitions this member holds: a revoked one's offsets belong to its new owner.
            var offsets: [TopicPartition: Int64] = [:]
            for (tp, n) in numbers where held.contains(tp) { if let next = pipeline.positions[n] { offsets[tp] = next } }
            consumerRef?.commit(offsets, synchronously: synchronously)
            lastCommit = Date()
            sinceCommit = 0
        }
        // Plain keys: a key strategy would also rewrite model names used as dictionary keys.
        let handoverCoding = (encoder: JSONEncoder(), decoder: JSONDecoder())
        var commitFailure: Error?
        let consumer = try KafkaConsumer(
            properties: kafka.consumerProperties, subscribe: kafka.topics,
            onAssign: { parts in
                var handovers: [String: [UInt8]] = [:]
                if let topic = kafka.checkpointTopic {
                    var readerProperties = kafka.properties
                    readerProperties["bootstrap.servers"] = kafka.bootstrapServers
                    do { handovers = try KafkaTopicSnapshot.latestByKey(properties: readerProperties, topic: topic) } catch {
                        log("cannot read the checkpoint topic \(topic) (\(error)); resuming from this store's checkpoint and the group's offsets")
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
                        log(h.writer == instance ? "resumed \(tp) at offset \(h.next) from its handover"
                            : "took over \(tp) at offset \(h.next) with \(h.models.count) model(s) from \(h.writer)")
                    }
                    if let next = pipeline.positions[n] { starts[tp] = next }
                }
                return starts
            },
            onRevoke: { parts in
                // Checkpoint before the partitions go to another member, then forget their
                // positions: when one comes back, the offset its owner committed rules.
                do { try commit(synchronously: true) } catch { commitFailure = error }
                for tp in parts { pipeline.forgetPosition(partition: number(tp)) }
            })
        consumerRef = consumer
        SystemdNotify.send("READY=1\nSTATUS=consuming \(kafka.topics.joined(separator: ","))")
        // (topic index, partition) → partition number, without hashing strings per message.
        var fast: [Int64: Int32] = [:]
        func status() -> Status {
            Status(records: pipeline.counters.records, windowsClosed: pipeline.counters.windowsClosed, firing: pipeline.alertBook.firing.count,
                   rejected: pipeline.counters.rejected, partitions: consumer.assignment.count, lastError: consumer.lastError,
                   seconds: Date().timeIntervalSince(started), secondsFromFirstMessage: firstMessage.map { Date().timeIntervalSince($0) })
        }
        var lastStatus = Date()
        var firstMessage: Date?
        while !shouldStop(pipeline.counters.records) {
            let n = consumer.poll(maximum: options.pollBatch, timeoutMilliseconds: options.pollTimeoutMilliseconds) { m in
                let key = Int64(m.topicIndex) << 32 | Int64(UInt32(bitPattern: m.partition))
                let partition: Int32
                if let known = fast[key] { partition = known } else {
                    partition = number(TopicPartition(topic: consumer.topics[m.topicIndex], partition: m.partition))
                    fast[key] = partition
                }
                pipeline.ingest(m.payload, position: SourcePosition(partition: partition, offset: m.offset + 1),
                                origin: "kafka:\(consumer.topics[m.topicIndex])/\(m.partition)@\(m.offset)")
            }
            if let failure = commitFailure { throw failure }
            if n > 0 && firstMessage == nil { firstMessage = Date() }
            sinceCommit += n
            let now = Clock.milliseconds()
            // Idle closing on every turn: a silent model must be reported while others stream.
            if n > 0 { pipeline.flush(now: now) }
            pipeline.closeIdle(now: now)
            if pipeline.hasWindowOutput || sinceCommit >= options.commitEveryRecords
                || (sinceCommit > 0 && Date().timeIntervalSince(lastCommit) >= options.commitIntervalSeconds) {
                try commit()
            }
            if let onStatus, Date().timeIntervalSince(lastStatus) >= 1 { onStatus(status()); lastStatus = Date() }
        }
        SystemdNotify.send("STOPPING=1")
        try commit(synchronously: true)
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
