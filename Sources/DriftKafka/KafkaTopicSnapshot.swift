import CRdKafka
#if canImport(Glibc)
import Glibc
#endif

/// Reads a keyed (compacted) topic from its start to its current end and keeps the newest
/// value of each key: how a daemon finds the state that other members of its group handed
/// over. Joins no consumer group (it assigns partitions itself) and commits nothing.
public enum KafkaTopicSnapshot {
    /// The newest value per key. A topic that does not exist reads as empty.
    /// - Throws: when the broker cannot be reached, or the end is not reached within the timeout.
    public static func latestByKey(properties: KafkaProperties, topic: String,
                                   timeoutMilliseconds: Int32 = 10_000) throws -> [String: [UInt8]] {
        var props = properties
        // librdkafka wants a group to assign partitions; this one never joins or commits.
        props["group.id"] = "driftd-snapshot-\(getpid())"
        props["enable.auto.commit"] = "false"
        props["enable.partition.eof"] = "true"
        props["log_level"] = props["log_level"] ?? "3"
        let conf = try RDKafkaConfiguration(props)
        var error = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf.handle, &error, error.count) else {
            throw KafkaError("cannot create a reader for \(topic): \(errorText(error))", code: .client)
        }
        defer { rd_kafka_destroy(rk) }
        let deadline = MonotonicClock.now + Int64(timeoutMilliseconds)

        guard let partitions = try partitions(of: topic, rk, timeoutMilliseconds: timeoutMilliseconds) else { return [:] }
        let ends = try assignFromStart(topic, partitions: partitions, rk, deadline: deadline)
        guard !ends.isEmpty else { return [:] }
        defer { _ = rd_kafka_assign(rk, nil) }
        return try readToEnd(topic, ends: ends, rk, deadline: deadline, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// The topic's partition ids; nil when the topic does not exist.
    static func partitions(of topic: String, _ rk: OpaquePointer, timeoutMilliseconds: Int32) throws -> [Int32]? {
        guard let rkt = rd_kafka_topic_new(rk, topic, nil) else { throw KafkaError("cannot open topic \(topic)", code: .topic) }
        defer { rd_kafka_topic_destroy(rkt) }
        var metadata: UnsafePointer<rd_kafka_metadata_t>?
        let me = rd_kafka_metadata(rk, 0, rkt, &metadata, timeoutMilliseconds)
        guard me == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError("cannot read the metadata of \(topic): \(String(cString: rd_kafka_err2str(me))) — is the broker reachable?", code: .read, rdkafkaCode: Int32(me.rawValue))
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt == 1 else { return nil }
        let t = metadata.pointee.topics[0]
        if t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART { return nil }
        guard t.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError("cannot read \(topic): \(String(cString: rd_kafka_err2str(t.err)))", code: .read, rdkafkaCode: Int32(t.err.rawValue))
        }
        return (0..<Int(t.partition_cnt)).map { t.partitions[$0].id }
    }

    /// Assigns each partition that holds anything from its first kept offset; returns the end
    /// each has now (what the read must reach).
    static func assignFromStart(_ topic: String, partitions: [Int32], _ rk: OpaquePointer, deadline: Int64) throws -> [Int32: Int64] {
        var ends: [Int32: Int64] = [:]
        let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for p in partitions {
            var low: Int64 = 0, high: Int64 = 0
            let we = rd_kafka_query_watermark_offsets(rk, topic, p, &low, &high, Int32(max(1, deadline - MonotonicClock.now)))
            guard we == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError("cannot read the offsets of \(topic)/\(p): \(String(cString: rd_kafka_err2str(we)))", code: .read, rdkafkaCode: Int32(we.rawValue))
            }
            guard high > low else { continue }
            ends[p] = high
            rd_kafka_topic_partition_list_add(list, topic, p)?.pointee.offset = low
        }
        guard !ends.isEmpty else { return [:] }
        let ae = rd_kafka_assign(rk, list)
        guard ae == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError("cannot assign \(topic): \(String(cString: rd_kafka_err2str(ae)))", code: .topic, rdkafkaCode: Int32(ae.rawValue)) }
        return ends
    }

    /// Polls until every partition reached its end, keeping the newest value of each key (a
    /// message without a value, a tombstone, removes its key).
    static func readToEnd(_ topic: String, ends: [Int32: Int64], _ rk: OpaquePointer, deadline: Int64,
                          timeoutMilliseconds: Int32) throws -> [String: [UInt8]] {
        var ends = ends
        var latest: [String: [UInt8]] = [:]
        while !ends.isEmpty {
            guard MonotonicClock.now < deadline else {
                throw KafkaError("\(topic) was not read to its end within \(timeoutMilliseconds) ms (partitions left: \(ends.keys.sorted()))", code: .read)
            }
            guard let message = rd_kafka_consumer_poll(rk, 100) else { continue }
            defer { rd_kafka_message_destroy(message) }
            let m = message.pointee
            if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { ends[m.partition] = nil; continue }
            guard m.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            if let key = m.key {
                let name = String(decoding: UnsafeRawBufferPointer(start: key, count: m.key_len), as: UTF8.self)
                if let payload = m.payload, m.len > 0 {
                    latest[name] = Array(UnsafeRawBufferPointer(start: payload, count: m.len))
                } else {
                    latest[name] = nil
                }
            }
            if let end = ends[m.partition], m.offset + 1 >= end { ends[m.partition] = nil }
        }
        return latest
    }
}

/// Monotonic milliseconds, for deadlines.
enum MonotonicClock {
    static var now: Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
