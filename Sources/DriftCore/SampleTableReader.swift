#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns the bytes of a whole file (or a part that starts at a line boundary) into a
/// ``SampleTable``. Pure: the caller reads the file; each part can be read on its own
/// thread and the tables appended in order.
public enum SampleTableReader {
    /// JSON Lines of inference records. Blank lines are skipped; a malformed line becomes a
    /// rejection with its line number (`firstLine` is the number of the part's first line).
    public static func jsonLines(_ bytes: UnsafeBufferPointer<UInt8>, firstLine: Int = 1,
                                 maximumRecordBytes: Int = InferenceRecordParser.defaultMaximumRecordBytes,
                                 expectedRows: Int? = nil, model: String? = nil) -> SampleTable {
        var builder = SampleTableBuilder(expectedRows: expectedRows ?? estimatedLineCount(bytes))
        let lines = forEachRecord(bytes, firstLine: firstLine, maximumRecordBytes: maximumRecordBytes) { record, scratch, line in
            do throws(RecordRejection) {
                if try InferenceRecordParser.parse(record, scratch: scratch, into: &builder, maximumRecordBytes: maximumRecordBytes, model: model) {
                    builder.commitRow()
                } else {
                    builder.dropRow()
                }
            } catch {
                builder.rejectRow(error, line: line)
            }
        }
        var table = builder.finish()
        table.lineCount = lines
        return table
    }

    /// Calls `body` with each non-blank line, a scratch buffer at least as large as the line
    /// (up to `maximumRecordBytes`) and the line's number; returns the number of lines read.
    public static func forEachRecord(_ bytes: UnsafeBufferPointer<UInt8>, firstLine: Int, maximumRecordBytes: Int,
                                     _ body: (UnsafeBufferPointer<UInt8>, UnsafeMutableBufferPointer<UInt8>, Int) -> Void) -> Int {
        var scratchCapacity = 4096
        var scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: scratchCapacity)
        defer { scratch.deallocate() }
        var line = firstLine
        forEachLine(bytes) { record, _ in
            defer { line += 1 }
            if isBlank(record) { return }
            if record.count > scratchCapacity && record.count <= maximumRecordBytes {
                scratch.deallocate()
                scratchCapacity = record.count
                scratch = .allocate(capacity: scratchCapacity)
            }
            body(record, scratch, line)
        }
        return line - firstLine
    }

    /// Calls `body` with each line (without its `\n` or `\r\n`).
    public static func forEachLine(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>, Bool) -> Void) {
        guard let base = bytes.baseAddress else { return }
        var start = 0
        let n = bytes.count
        while start < n {
            let remaining = n - start
            let found = memchr(base + start, 0x0A, remaining)
            let end = found.map { UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self) - base } ?? n
            var lineEnd = end
            if lineEnd > start && base[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            body(UnsafeBufferPointer(start: base + start, count: lineEnd - start), end >= n - 1)
            start = end + 1
        }
    }

    /// Splits `bytes` into at most `parts` ranges that end at line boundaries, for parallel
    /// reading; returns each range with the number of its first line.
    public static func lineAlignedParts(_ bytes: UnsafeBufferPointer<UInt8>, parts: Int) -> [Range<Int>] {
        let n = bytes.count
        guard parts > 1, n > 1 << 20 else { return [0..<n] }
        var ranges = [Range<Int>]()
        var start = 0
        for k in 1..<parts {
            var cut = n * k / parts
            if cut <= start { continue }
            while cut < n && bytes[cut - 1] != 0x0A { cut += 1 }
            if cut > start && cut < n { ranges.append(start..<cut); start = cut }
        }
        ranges.append(start..<n)
        return ranges
    }

    /// Number of lines that start in `bytes` (for the line number of the next part).
    public static func lineCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 0
        forEachLine(bytes) { _, _ in count += 1 }
        return count
    }

    /// Lines in `bytes`, estimated from the first 64 KiB (generously: unused reserved
    /// memory is never touched, so costs nothing).
    public static func estimatedLineCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let sample = UnsafeBufferPointer(rebasing: bytes[0..<Swift.min(bytes.count, 1 << 16)])
        var lines = 0
        for b in sample where b == 0x0A { lines += 1 }
        guard lines > 0 else { return 16 }
        return Int(Double(bytes.count) / Double(sample.count) * Double(lines) * 1.25) + 16
    }

    public static func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        for b in line where b != 0x20 && b != 0x09 && b != 0x0D { return false }
        return true
    }
}
