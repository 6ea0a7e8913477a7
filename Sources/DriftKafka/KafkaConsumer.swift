import CRdKafka
import DriftCore

/// A consumer in a consumer group, polled in batches on the caller's thread (no per-message
/// async hop). Where to start each assigned partition is asked of the owner (its checkpoint is
/// the source of truth); partitions it never saw start at `auto.offset.reset`. Before
/// partitions are revoked the owner is told, so it can checkpoint them first.
public final class KafkaConsumer {
    /// One polled message; the payload is valid only inside the `poll` body.
    public struct Message {
        public var topicIndex: Int
        public var partition: Int32
        public var offset: Int64
        public var payload: UnsafeBufferPointer<UInt8>
    }

    public typealias AssignHandler = ([TopicPartition]) -> [TopicPartition: Int64]
    public typealias RevokeHandler = ([TopicPartition]) -> Void

    private let handle: OpaquePointer
    private var onAssign: AssignHandler
    private var onRevoke: RevokeHandler
    /// Topic handles seen in messages → index in `topics`, so no String is made per message.
    private var topicIndexByHandle: [OpaquePointer: Int] = [:]
    public private(set) var topics: [String] = []
    public private(set) var assignment: [TopicPartition] = []
    /// The last error librdkafka reported (broker down, …), for status and logs.
    public private(set) var lastError: String?

    public init(properties: KafkaProperties, subscribe patterns: [String],
                onAssign: @escaping AssignHandler, onRevoke: @escaping RevokeHandler) throws {
        var props = properties
        props["enable.auto.commit"] = "false"
        props["enable.auto.offset.store"] = "false"
        props["log_level"] = props["log_level"] ?? "3"
        let conf = try RDKafkaConfiguration(props)
        self.onAssign = onAssign
        self.onRevoke = onRevoke
        // The rebalance callback reaches this object through a context made before the
        // handle (librdkafka takes the opaque pointer with the configuration).
        let context = RebalanceContext()
        self.context = context
        rd_kafka_conf_set_opaque(conf.handle, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_rebalance_cb(conf.handle) { rk, err, partitions, opaque in
            guard let rk, let partitions, let opaque else { return }
            let context = Unmanaged<RebalanceContext>.fromOpaque(opaque).takeUnretainedValue()
            context.consumer?.rebalance(rk, err, partitions)
        }
        // Errors of the client itself (all brokers down, authentication, DNS) come here, on
        // the polling thread: without this callback librdkafka only logs them, and a daemon
        // whose brokers are gone would say nothing but "joining the consumer group".
        rd_kafka_conf_set_error_cb(conf.handle) { _, err, reason, opaque in
            guard let opaque else { return }
            let context = Unmanaged<RebalanceContext>.fromOpaque(opaque).takeUnretainedValue()
            let text = reason.map { String(cString: $0) } ?? String(cString: rd_kafka_err2str(rd_kafka_resp_err_t(err)))
            context.consumer?.lastError = text
        }
        var error = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf.handle, &error, error.count) else {
            throw KafkaError("cannot create the Kafka consumer: \(errorText(error)) — check `kafka` in the configuration", code: .client)
        }
        handle = rk
        context.consumer = self
        _ = rd_kafka_poll_set_consumer(rk)
        let list = rd_kafka_topic_partition_list_new(Int32(patterns.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for p in patterns { _ = rd_kafka_topic_partition_list_add(list, p, RD_KAFKA_PARTITION_UA) }
        let e = rd_kafka_subscribe(rk, list)
        if e != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError("cannot subscribe to \(patterns.joined(separator: ", ")): \(String(cString: rd_kafka_err2str(e)))", code: .topic, rdkafkaCode: Int32(e.rawValue))
        }
    }

    private let context: RebalanceContext

    deinit {
        for t in heldTopics { rd_kafka_topic_destroy(t) }
        if let q = consumerQueue { rd_kafka_queue_destroy(q) }
        rd_kafka_destroy(handle)
    }
    private var heldTopics: [OpaquePointer] = []
    private var consumerQueue: OpaquePointer? { queueCreated ? queue : nil }
    private var queueCreated = false

    fileprivate func rebalance(_ rk: OpaquePointer, _ err: rd_kafka_resp_err_t, _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        var parts: [TopicPartition] = []
        for i in 0..<Int(list.pointee.cnt) {
            let e = list.pointee.elems[i]
            parts.append(TopicPartition(topic: String(cString: e.topic), partition: e.partition))
        }
        if err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
            let starts = onAssign(parts)
            for i in 0..<Int(list.pointee.cnt) {
                let tp = parts[i]
                list.pointee.elems[i].offset = starts[tp] ?? Int64(RD_KAFKA_OFFSET_INVALID)
            }
            _ = rd_kafka_assign(rk, list)
            assignment = parts
        } else {
            onRevoke(parts)
            _ = rd_kafka_assign(rk, nil)
            assignment = []
        }
    }

    /// Polls up to `maximum` messages, waiting at most `timeoutMilliseconds` for the first;
    /// calls `body` for each. Returns how many were handed over.
    @discardableResult
    public func poll(maximum: Int, timeoutMilliseconds: Int32, _ body: (Message) -> Void) -> Int {
        pollRaw(maximum: maximum, timeoutMilliseconds: timeoutMilliseconds) { message, m in
            defer { rd_kafka_message_destroy(message) }
            body(m)
        }
    }

    /// Polls and hands each good message to `take`, which owns (destroys) it; error messages
    /// are destroyed here.
    private func pollRaw(maximum: Int, timeoutMilliseconds: Int32,
                         _ take: (UnsafeMutablePointer<rd_kafka_message_t>, Message) -> Void) -> Int {
        if batch.count < maximum { batch = Array(repeating: nil, count: maximum) }
        queueCreated = true
        // librdkafka's batch call: up to `maximum` messages, waiting at most the timeout.
        let n = batch.withUnsafeMutableBufferPointer { buffer in
            Int(rd_kafka_consume_batch_queue(queue, Int32(timeoutMilliseconds), buffer.baseAddress, maximum))
        }
        guard n > 0 else { return 0 }
        var handed = 0
        for i in 0..<n {
            guard let message = batch[i] else { continue }
            let m = message.pointee
            if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                if m.err != RD_KAFKA_RESP_ERR__PARTITION_EOF { lastError = String(cString: rd_kafka_err2str(m.err)) }
                rd_kafka_message_destroy(message)
                continue
            }
            let topicIndex: Int
            if let rkt = m.rkt, let known = topicIndexByHandle[rkt] { topicIndex = known } else {
                let name = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
                topicIndex = topics.firstIndex(of: name) ?? { topics.append(name); return topics.count - 1 }()
                if let rkt = m.rkt {
                    topicIndexByHandle[rkt] = topicIndex
                    // Hold a reference to the topic so its handle's address cannot be reused
                    // by another topic while it is a key of the cache.
                    if let held = rd_kafka_topic_new(handle, name, nil) { heldTopics.append(held) }
                }
            }
            let payload = UnsafeBufferPointer(start: m.payload?.assumingMemoryBound(to: UInt8.self), count: m.len)
            take(message, Message(topicIndex: topicIndex, partition: m.partition, offset: m.offset, payload: payload))
            handed += 1
        }
        return handed
    }

    /// Polls up to `maximum` messages and hands them to `body` all at once (so that they can
    /// be decoded on several threads); their payloads are valid until `body` returns.
    public func pollAll(maximum: Int, timeoutMilliseconds: Int32, _ body: ([Message]) -> Void) -> Int {
        polled.removeAll(keepingCapacity: true)
        heldMessages.removeAll(keepingCapacity: true)
        let n = pollRaw(maximum: maximum, timeoutMilliseconds: timeoutMilliseconds) { message, m in
            heldMessages.append(message)
            polled.append(m)
        }
        defer { for message in heldMessages { rd_kafka_message_destroy(message) } }
        if n > 0 { body(polled) }
        return n
    }

    private var polled: [Message] = []
    private var heldMessages: [UnsafeMutablePointer<rd_kafka_message_t>] = []
    private var batch: [UnsafeMutablePointer<rd_kafka_message_t>?] = []
    private lazy var queue: OpaquePointer = rd_kafka_queue_get_consumer(handle)

    /// Commits the next offsets to read, so Kafka's lag tools see driftd's progress.
    public func commit(_ offsets: [TopicPartition: Int64], synchronously: Bool = false) {
        guard !offsets.isEmpty else { return }
        let list = rd_kafka_topic_partition_list_new(Int32(offsets.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (tp, offset) in offsets {
            let element = rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition)
            element?.pointee.offset = offset
        }
        let e = rd_kafka_commit(handle, list, synchronously ? 0 : 1)
        if e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR__NO_OFFSET { lastError = String(cString: rd_kafka_err2str(e)) }
    }

    /// The high watermark librdkafka last saw for each assigned partition (from fetch
    /// responses; no request is made). Absent until the partition was fetched.
    public func highWatermarks() -> [TopicPartition: Int64] {
        var marks: [TopicPartition: Int64] = [:]
        for tp in assignment {
            var low: Int64 = -1, high: Int64 = -1
            let e = rd_kafka_get_watermark_offsets(handle, tp.topic, tp.partition, &low, &high)
            if e == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 {
                marks[tp] = high
            }
        }
        return marks
    }

    /// Stops fetching these partitions (back-pressure); what was fetched but not yet polled
    /// is fetched again after `resume`, from the position after the last polled message.
    public func pause(_ partitions: [TopicPartition]) { setPaused(partitions, paused: true) }

    public func resume(_ partitions: [TopicPartition]) { setPaused(partitions, paused: false) }

    private func setPaused(_ partitions: [TopicPartition], paused: Bool) {
        guard !partitions.isEmpty else { return }
        let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for tp in partitions { _ = rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition) }
        let e = paused ? rd_kafka_pause_partitions(handle, list) : rd_kafka_resume_partitions(handle, list)
        if e != RD_KAFKA_RESP_ERR_NO_ERROR { lastError = String(cString: rd_kafka_err2str(e)) }
    }

    /// Leaves the group cleanly (partitions revoked through the handler first).
    public func close() {
        _ = rd_kafka_consumer_close(handle)
    }
}

/// Where the rebalance callback finds its consumer.
final class RebalanceContext {
    weak var consumer: KafkaConsumer?
}
