/// One reference file holding many models' records, read once into one table per model
/// (`driftd baseline fit --all-models`): fitting a thousand models from one file must not
/// read the file a thousand times.
public enum SampleTablesByModel {
    /// The tables of one part of a file, by model, and the lines no model could claim.
    public struct Part: Sendable {
        public var tables: [String: SampleTable] = [:]
        /// Lines without a readable `model` (their model's table never sees them).
        public var rejections: [LineRejection] = []
        /// Models whose records were skipped because `wants` refused them.
        public var skipped: Set<String> = []
        public var lineCount = 0
        public init() {}
    }

    /// Reads JSON Lines of inference records into one table per model that `wants` accepts.
    /// A line whose model cannot be read is a rejection of the part; a malformed line of a
    /// known model is a rejection of that model's table, with its line number in the file.
    public static func jsonLines(_ bytes: UnsafeBufferPointer<UInt8>, firstLine: Int = 1,
                                 maximumRecordBytes: Int = InferenceRecordParser.defaultMaximumRecordBytes,
                                 wants: (String) -> Bool = { _ in true }) -> Part {
        var builders: [String: SampleTableBuilder] = [:]
        var part = Part()
        let lines = SampleTableReader.forEachRecord(bytes, firstLine: firstLine, maximumRecordBytes: maximumRecordBytes) { record, scratch, line in
            let model: String
            do throws(RecordRejection) {
                model = try modelID(of: record, scratch: scratch, maximumRecordBytes: maximumRecordBytes)
            } catch {
                part.rejections.append(LineRejection(line: line, rejection: error))
                return
            }
            if part.skipped.contains(model) { return }
            if builders[model] == nil {
                guard wants(model) else { part.skipped.insert(model); return }
                builders[model] = SampleTableBuilder()
            }
            do throws(RecordRejection) {
                _ = try InferenceRecordParser.parse(record, scratch: scratch, into: &builders[model]!, maximumRecordBytes: maximumRecordBytes)
                builders[model]!.commitRow()
            } catch {
                builders[model]!.rejectRow(error, line: line)
            }
        }
        for (model, var builder) in builders { part.tables[model] = builder.finish() }
        part.lineCount = lines
        return part
    }

    /// Appends the next part of the same file (read with `firstLine` 1): its line numbers
    /// continue this part's.
    public static func append(_ later: Part, to part: inout Part) {
        for (model, table) in later.tables {
            part.tables[model, default: SampleTable()].append(table, lineOffset: part.lineCount)
        }
        part.rejections += later.rejections.map { LineRejection(line: $0.line + part.lineCount, rejection: $0.rejection) }
        part.skipped.formUnion(later.skipped)
        part.lineCount += later.lineCount
    }

    /// The record's `model`, read before its features (it may come after them): a
    /// malformed record is rejected here only when its model cannot be told.
    static func modelID(of record: UnsafeBufferPointer<UInt8>, scratch: UnsafeMutableBufferPointer<UInt8>,
                        maximumRecordBytes: Int) throws(RecordRejection) -> String {
        guard record.count <= maximumRecordBytes, record.count <= scratch.count else {
            throw RecordRejection("record of \(record.count) bytes is over the size limit of \(maximumRecordBytes) bytes", at: 0)
        }
        var s = JSONScanner(record, scratch: scratch)
        guard try s.seekField({ bytesEqual($0, "model") }) else { throw .missingModel }
        return String(decoding: try s.parseModelID(), as: UTF8.self)
    }
}
