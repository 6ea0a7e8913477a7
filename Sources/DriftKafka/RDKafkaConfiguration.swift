import CRdKafka

/// A librdkafka configuration handle built from properties; every bad key or value fails
/// with librdkafka's own reason.
struct RDKafkaConfiguration {
    let handle: OpaquePointer

    init(_ properties: KafkaProperties) throws {
        guard let conf = rd_kafka_conf_new() else { throw KafkaError("librdkafka could not allocate a configuration", code: .configuration) }
        var error = [CChar](repeating: 0, count: 512)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, key, value, &error, error.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError("Kafka property \(key): \(errorText(error)) — check the `kafka.properties` of the configuration", code: .configuration)
            }
        }
        handle = conf
    }
}
