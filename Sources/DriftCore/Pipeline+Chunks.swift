#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What decoding one chunk of lines produced, besides the rows in the decoder's batches.
public struct DecodedChunk: Sendable {
    public var records: Int64 = 0
    public var decoded: Int64 = 0
    public var rejected: Int64 = 0
    public var unmonitored: Int64 = 0
    /// Dead letters with line numbers relative to the chunk's first line (1-based).
    public var deadLetters: [DeadLetter] = []
    /// Lines in the chunk, blank ones included.
    public var lines: Int64 = 0
    /// Where the next chunk starts.
    public var endOffset: Int64 = 0
    public init() {}
}

/// Decoding chunks of JSON Lines apart from accumulating them, so that a file source can
/// decode on every core while one thread accumulates in order. The results are those of
/// `ingest` record by record: windows close at a record fixed by the data, and moments are
/// kept in fixed blocks, so batching changes nothing.
extension Pipeline {
    /// A decoder for this pipeline's models, one per decoding thread.
    public func makeDecoder() -> RecordDecoder {
        RecordDecoder(schemas: monitors.map(\.schema), maximumRecordBytes: maximumRecordBytes)
    }

    /// Decodes the lines of `bytes`, which start at byte `startOffset` of partition 0.
    public static func decodeLines(_ bytes: UnsafeBufferPointer<UInt8>, startOffset: Int64, source: String,
                                   into decoder: inout RecordDecoder) -> DecodedChunk {
        var chunk = DecodedChunk()
        chunk.endOffset = startOffset
        guard let base = bytes.baseAddress else { return chunk }
        var offset = 0
        let total = bytes.count
        while offset < total {
            let found = memchr(base + offset, 0x0A, total - offset)
            let end = found.map { UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self) - base } ?? total
            let next = Swift.min(end + 1, total)
            chunk.lines += 1
            var lineEnd = end
            if lineEnd > offset && base[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let record = UnsafeBufferPointer(start: base + offset, count: lineEnd - offset)
            offset = next
            if SampleTableReader.isBlank(record) { continue }
            chunk.records += 1
            let position = SourcePosition(partition: 0, offset: startOffset + Int64(next))
            switch decoder.decode(record, position: position) {
            case .decoded: chunk.decoded += 1
            case .unmonitored: chunk.unmonitored += 1
            case .rejected(let rejection):
                chunk.rejected += 1
                chunk.deadLetters.append(DeadLetter(source: source, position: position, line: chunk.lines, reason: rejection.description,
                                                    payload: Array(record.prefix(DeadLetter.payloadLimit))))
            }
        }
        chunk.endOffset = startOffset + Int64(total)
        decoder.sealBatches()
        return chunk
    }

    /// Accumulates a decoded chunk (its rows are in `decoder`), in source order.
    public mutating func absorb(_ chunk: DecodedChunk, from decoder: inout RecordDecoder, now: Int64) {
        let firstLine = line
        counters.records += chunk.records
        counters.decoded += chunk.decoded
        counters.rejected += chunk.rejected
        counters.unmonitored += chunk.unmonitored
        for var letter in chunk.deadLetters {
            letter.line = letter.line.map { $0 + firstLine }
            appendDeadLetter(letter)
        }
        line += chunk.lines
        positions[0] = chunk.endOffset
        accumulate(decoder.batches, now: now)
        decoder.clearBatches()
    }
}

/// A message polled from a partitioned source (Kafka), for decoding apart from
/// accumulating: its partition (the pipeline's number), the position after it, its bytes
/// (valid until the poll's messages are released) and where a dead letter says it came from.
/// `@unchecked`: its payload points into the consumer's message buffers, which stay valid
/// and unchanged until the poll is released, after every decoding thread has finished.
public struct PolledMessage: @unchecked Sendable {
    public var partition: Int32
    /// The offset to resume from after this message (its offset + 1).
    public var next: Int64
    public var payload: UnsafeBufferPointer<UInt8>
    /// Index into the topics passed to ``Pipeline/decodeMessages(_:topics:into:)``,
    /// the source's own partition number and the message's offset: `kafka:topic/partition@offset`.
    public var topicIndex: Int
    public var sourcePartition: Int32
    public var offset: Int64
    public init(partition: Int32, next: Int64, payload: UnsafeBufferPointer<UInt8>, topicIndex: Int, sourcePartition: Int32, offset: Int64) {
        self.partition = partition; self.next = next; self.payload = payload
        self.topicIndex = topicIndex; self.sourcePartition = sourcePartition; self.offset = offset
    }
}

/// What decoding a run of polled messages produced, besides the rows in the decoder's batches.
public struct DecodedMessages: Sendable {
    public var records: Int64 = 0
    public var decoded: Int64 = 0
    public var rejected: Int64 = 0
    public var unmonitored: Int64 = 0
    public var deadLetters: [DeadLetter] = []
    /// Per partition, the position after its last message in the run.
    public var positions: [Int32: Int64] = [:]
    /// Per model (by index), the partition of its last record in the run, or -1.
    public var modelPartitions: [Int32] = []
    public init() {}
}

extension Pipeline {
    /// Decodes polled messages (on any thread, with its own decoder): what `ingest` does to
    /// each, without accumulating. ``absorb(_:from:now:)-(DecodedMessages,_,_)`` then
    /// accumulates the runs in poll order, which gives the results of `ingest` message by
    /// message.
    public static func decodeMessages(_ messages: UnsafeBufferPointer<PolledMessage>, topics: [String],
                                      into decoder: inout RecordDecoder) -> DecodedMessages {
        var run = DecodedMessages()
        run.modelPartitions = Array(repeating: -1, count: decoder.modelCount)
        for m in messages {
            run.records += 1
            run.positions[m.partition] = m.next
            let position = SourcePosition(partition: m.partition, offset: m.next)
            switch decoder.decode(m.payload, position: position) {
            case .decoded(let model):
                run.decoded += 1
                run.modelPartitions[model] = m.partition
            case .unmonitored: run.unmonitored += 1
            case .rejected(let rejection):
                run.rejected += 1
                run.deadLetters.append(DeadLetter(source: "kafka:\(topics[m.topicIndex])/\(m.sourcePartition)@\(m.offset)", position: position,
                                                  line: nil, reason: rejection.description, payload: Array(m.payload.prefix(DeadLetter.payloadLimit))))
            }
        }
        decoder.sealBatches()
        return run
    }

    /// Accumulates a run of decoded messages (its rows are in `decoder`), in poll order.
    public mutating func absorb(_ run: DecodedMessages, from decoder: inout RecordDecoder, now: Int64) {
        counters.records += run.records
        counters.decoded += run.decoded
        counters.rejected += run.rejected
        counters.unmonitored += run.unmonitored
        for letter in run.deadLetters { appendDeadLetter(letter) }
        for (partition, next) in run.positions { positions[partition] = next }
        for m in run.modelPartitions.indices where run.modelPartitions[m] >= 0 { modelPartition[m] = run.modelPartitions[m] }
        accumulate(decoder.batches, now: now)
        decoder.clearBatches()
    }
}
