/// A Kafka failure an operator can act on: what happened and what to do.
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
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
