import Dispatch
import DriftCore

/// Reading whole sample files (JSON Lines or CSV) into columnar tables, JSON Lines in
/// parallel parts on every core.
public enum SampleFiles {
    public enum Format: String, Sendable, CaseIterable { case auto, jsonl, csv }

    public static func format(of path: String, requested: Format = .auto) -> Format {
        if requested != .auto { return requested }
        let lower = path.lowercased()
        return lower.hasSuffix(".csv") || lower.hasSuffix(".tsv") ? .csv : .jsonl
    }

    /// - Parameter model: keep only the records of this model (JSON Lines).
    public static func load(_ file: MappedFile, format requested: Format = .auto, model: String? = nil) -> SampleTable {
        switch format(of: file.path, requested: requested) {
        case .csv: return CSVSampleReader.read(file.bytes)
        case .jsonl, .auto:
            let text = jsonLinesText(file)
            let parts = SampleTableReader.lineAlignedParts(text, parts: Swift.max(1, processorCount))
            let tables = ResultSlots<SampleTable>(count: parts.count)
            let bytes = ReadOnlyBytes(buffer: text)
            DispatchQueue.concurrentPerform(iterations: parts.count) { k in
                tables[k] = SampleTableReader.jsonLines(UnsafeBufferPointer(rebasing: bytes.buffer[parts[k]]), model: model)
            }
            var all = tables.values
            var table = all.removeFirst()
            table.reserveCapacity(rows: all.reduce(table.rowCount) { $0 + $1.rowCount })
            for part in all { table.append(part, lineOffset: table.lineCount) }
            return table
        }
    }

    /// A JSON Lines file of many models' records, one table per model that `wants` accepts,
    /// read on every core in one pass.
    public static func loadByModel(_ file: MappedFile, wants: @escaping @Sendable (String) -> Bool) -> SampleTablesByModel.Part {
        let text = jsonLinesText(file)
        let parts = SampleTableReader.lineAlignedParts(text, parts: Swift.max(1, processorCount))
        let results = ResultSlots<SampleTablesByModel.Part>(count: parts.count)
        let bytes = ReadOnlyBytes(buffer: text)
        DispatchQueue.concurrentPerform(iterations: parts.count) { k in
            results[k] = SampleTablesByModel.jsonLines(UnsafeBufferPointer(rebasing: bytes.buffer[parts[k]]), wants: wants)
        }
        var all = results.values
        var whole = all.removeFirst()
        for part in all { SampleTablesByModel.append(part, to: &whole) }
        return whole
    }

    /// A JSON Lines file's records: its bytes after a byte order mark, if any.
    static func jsonLinesText(_ file: MappedFile) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: file.bytes[ByteOrderMark.length(file.bytes)...])
    }

    public static var processorCount: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}

/// A mapped file's bytes, read (never written) by concurrent parsers.
struct ReadOnlyBytes: @unchecked Sendable { let buffer: UnsafeBufferPointer<UInt8> }

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A UTF-8 byte order mark, which editors on Windows put at the start of text files. CSV
/// already skips it; JSON Lines readers skip it too, or line 1 would be a dead letter.
public enum ByteOrderMark {
    /// 3 when `bytes` starts with EF BB BF, else 0.
    public static func length(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
    }
}
