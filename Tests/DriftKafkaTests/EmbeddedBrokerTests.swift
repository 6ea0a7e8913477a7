import DriftCore
import DriftKafka
import DriftTesting
import Foundation
import Testing

/// The Kafka adapter against the embedded broker (librdkafka's mock cluster), in process.
@Suite("Kafka adapter on the embedded broker", .serialized)
struct EmbeddedBrokerTests {
    @Test("a consumer group reads every produced message once, from the offsets its owner gives")
    func produceAndConsume() throws {
        let broker = try EmbeddedBroker()
        let topic = "records-\(UUID().uuidString.prefix(8))"
        try broker.createTopic(topic, partitions: 3)
        let producer = try KafkaProducer(properties: ["bootstrap.servers": broker.bootstrapServers])
        let records = SyntheticStream(seed: 1).records(900)
        for (i, r) in records.enumerated() { try producer.send(topic: topic, partition: Int32(i % 3), key: "shop", value: r) }
        try producer.flush()

        var assigned: [TopicPartition] = []
        let consumer = try KafkaConsumer(
            properties: ["bootstrap.servers": broker.bootstrapServers, "group.id": "g-\(UUID().uuidString.prefix(8))",
                         "auto.offset.reset": "earliest", "session.timeout.ms": "6000"],
            subscribe: [topic],
            onAssign: { parts in
                assigned = parts
                // Partition 2 resumes at offset 100, as if checkpointed there.
                return [TopicPartition(topic: topic, partition: 2): 100]
            },
            onRevoke: { _ in })
        var seen: [Int32: [Int64]] = [:]
        var total = 0
        let deadline = Date().addingTimeInterval(30)
        while total < 800 && Date() < deadline {
            consumer.poll(maximum: 500, timeoutMilliseconds: 100) { m in
                seen[m.partition, default: []].append(m.offset)
                #expect(m.payload.count > 50)
                total += 1
            }
        }
        #expect(Set(assigned.map(\.partition)) == [0, 1, 2])
        #expect(total == 800, "300 + 300 + (300 - 100) messages")
        #expect(seen[0] == Array(0..<300) && seen[1] == Array(0..<300))
        #expect(seen[2] == Array(100..<300))
        consumer.commit([TopicPartition(topic: topic, partition: 0): 300], synchronously: true)
        consumer.close()
    }
}
