import CRdKafka

/// A plain Kafka producer (for the demo, the tests and the alerts topic): messages keyed,
/// delivered asynchronously, `flush` waits for them.
/// `@unchecked`: it owns a C handle (`rd_kafka_t`); librdkafka's producer API is thread-safe
/// (as swift-kafka-client documents for its own), and the Swift side holds nothing mutable.
public final class KafkaProducer: @unchecked Sendable {
    private let handle: OpaquePointer

    public init(properties: KafkaProperties) throws {
        var props = properties
        props["linger.ms"] = props["linger.ms"] ?? "5"
        props["log_level"] = props["log_level"] ?? "3"
        let conf = try RDKafkaConfiguration(props)
        var error = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.handle, &error, error.count) else {
            throw KafkaError("cannot create a Kafka producer: \(errorText(error))", code: .client)
        }
        handle = rk
    }

    deinit {
        _ = rd_kafka_flush(handle, 10_000)
        rd_kafka_destroy(handle)
    }

    /// Queues one message; retries while the local queue is full.
    public func send(topic: String, partition: Int32? = nil, key: [UInt8]?, value: UnsafeRawBufferPointer) throws {
        guard let rkt = rd_kafka_topic_new(handle, topic, nil) else { throw KafkaError("cannot open topic \(topic)", code: .topic) }
        defer { rd_kafka_topic_destroy(rkt) }
        while true {
            let rc: Int32 = key.withOptionalBytes { keyPointer, keyCount in
                rd_kafka_produce(rkt, partition ?? RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                                 UnsafeMutableRawPointer(mutating: value.baseAddress), value.count, keyPointer, keyCount, nil)
            }
            if rc == 0 { return }
            let e = rd_kafka_last_error()
            if e == RD_KAFKA_RESP_ERR__QUEUE_FULL { rd_kafka_poll(handle, 10); continue }
            throw KafkaError("cannot produce to \(topic): \(String(cString: rd_kafka_err2str(e)))", code: .delivery, rdkafkaCode: Int32(e.rawValue))
        }
    }

    public func send(topic: String, partition: Int32? = nil, key: String?, value: String) throws {
        var v = value
        try v.withUTF8 { try send(topic: topic, partition: partition, key: key.map { Array($0.utf8) }, value: UnsafeRawBufferPointer($0)) }
    }

    /// Waits until every queued message is delivered (or the timeout passes).
    public func flush(timeoutMilliseconds: Int32 = 30_000) throws {
        let e = rd_kafka_flush(handle, timeoutMilliseconds)
        if e != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError("messages not delivered within \(timeoutMilliseconds) ms: \(String(cString: rd_kafka_err2str(e)))", code: .delivery, rdkafkaCode: Int32(e.rawValue)) }
    }
}

extension Optional where Wrapped == [UInt8] {
    func withOptionalBytes<R>(_ body: (UnsafeRawPointer?, Int) -> R) -> R {
        switch self {
        case .none: return body(nil, 0)
        case .some(let bytes): return bytes.withUnsafeBytes { body($0.baseAddress, $0.count) }
        }
    }
}
