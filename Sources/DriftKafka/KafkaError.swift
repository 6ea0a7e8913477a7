/// A Kafka failure an operator can act on: what happened and what to do (the description),
/// what kind of failure it is (`code`, extensible as swift-kafka-client's is), librdkafka's own
/// error code when it gave one, and whether trying again may succeed.
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        /// A property or the configuration librdkafka refused: fix the configuration.
        public static let configuration = Code("configuration")
        /// A client (consumer, producer, reader) could not be created.
        public static let client = Code("client")
        /// Subscribing, assigning or opening a topic failed.
        public static let topic = Code("topic")
        /// Producing or delivering messages failed (broker down, timeout).
        public static let delivery = Code("delivery")
        /// Reading metadata, offsets or a topic failed (broker down, timeout).
        public static let read = Code("read")
        /// The embedded broker could not start.
        public static let embeddedBroker = Code("embedded_broker")
    }

    public var code: Code
    /// librdkafka's `rd_kafka_resp_err_t`, when the failure came with one.
    public var rdkafkaCode: Int32?
    public var description: String

    public init(_ description: String, code: Code, rdkafkaCode: Int32? = nil) {
        self.description = description; self.code = code; self.rdkafkaCode = rdkafkaCode
    }

    /// Brokers that are down or slow pass: delivery and reads may succeed when tried again;
    /// a configuration or a client that cannot be created does not.
    public var isRetriable: Bool { code == .delivery || code == .read }
}

/// librdkafka client properties (`bootstrap.servers`, `security.protocol`, SASL, TLS, …).
public typealias KafkaProperties = [String: String]

/// Hides secrets in property listings for logs.
public func redacted(_ properties: KafkaProperties) -> KafkaProperties {
    properties.reduce(into: [:]) { result, item in
        let key = item.key.lowercased()
        let secret = key.contains("password") || key.contains("secret") || key.hasSuffix(".key") || key.contains("token")
        result[item.key] = secret ? "<redacted>" : item.value
    }
}

/// The text of a NUL-terminated C error buffer.
func errorText(_ buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}
