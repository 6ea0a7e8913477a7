import CRdKafka

/// driftd's embedded Kafka broker: librdkafka's mock cluster, a Kafka-protocol broker on
/// loopback TCP with topics, partitions, consumer groups and fault injection. For tests, the
/// demo and `driftd broker`; any Kafka client can connect to ``bootstrapServers``.
/// It keeps only about 5 MB per partition log: spread large streams over partitions.
/// `@unchecked`: it owns a C handle (`rd_kafka_t` with its mock cluster), which librdkafka
/// makes safe to use from any thread; the Swift side holds nothing mutable.
public final class EmbeddedBroker: @unchecked Sendable {
    private let owner: OpaquePointer
    private let cluster: OpaquePointer
    public let brokerCount: Int
    public let bootstrapServers: String

    public init(brokers: Int = 1) throws {
        let conf = try RDKafkaConfiguration(["log_level": "3"])
        var error = [CChar](repeating: 0, count: 512)
        // A producer handle owns the mock cluster's thread.
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.handle, &error, error.count) else {
            throw KafkaError("cannot start the embedded broker: \(errorText(error))", code: .embeddedBroker)
        }
        guard let mc = rd_kafka_mock_cluster_new(rk, Int32(brokers)) else {
            rd_kafka_destroy(rk)
            throw KafkaError("cannot start the embedded broker's mock cluster", code: .embeddedBroker)
        }
        owner = rk
        cluster = mc
        brokerCount = brokers
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(mc))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(owner)
    }

    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws {
        let e = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor))
        if e != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError("cannot create topic \(name): \(String(cString: rd_kafka_err2str(e)))", code: .topic, rdkafkaCode: Int32(e.rawValue))
        }
    }

    /// Fault injection: takes a broker (1-based id) down or brings it back.
    public func setBroker(_ id: Int, up: Bool) {
        if up { _ = rd_kafka_mock_broker_set_up(cluster, Int32(id)) } else { _ = rd_kafka_mock_broker_set_down(cluster, Int32(id)) }
    }
}
