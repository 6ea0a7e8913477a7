/// Reads one inference record (`docs/record-format.md`, v1) into a row of a
/// ``SampleTableBuilder``: every feature, plus `prediction` and `label` as columns of those
/// names. Checks everything the format requires and rejects the record whole otherwise.
public enum InferenceRecordParser {
    /// Default limit on one record's size.
    public static let defaultMaximumRecordBytes = 1 << 20
    public static let maximumModelIdBytes = 128

    /// Parses `record` into the builder's staged row; the caller commits or rejects it.
    /// Returns false for a well-formed record of another model than `model` (when given):
    /// the caller drops its row.
    @discardableResult
    public static func parse(_ record: UnsafeBufferPointer<UInt8>, scratch: UnsafeMutableBufferPointer<UInt8>,
                             into builder: inout SampleTableBuilder,
                             maximumRecordBytes: Int = defaultMaximumRecordBytes, model wanted: String? = nil) throws(RecordRejection) -> Bool {
        if let tooLarge = RecordRejection.oversized(record.count, limit: maximumRecordBytes) { throw tooLarge }
        var s = JSONScanner(record, scratch: scratch)
        var fields = try RecordFields(&s)
        builder.beginRow()
        var isWanted = wanted == nil
        var eventTime: Int64? = nil
        // Every value goes into the staged row, into the column of its name (`prediction`
        // and `label` under theirs).
        while let field = try fields.next(&s) {
            switch field {
            case .features: try parseFeatures(&s, into: &builder)
            case .model(let id): if let wanted { isWanted = String(decoding: id, as: UTF8.self) == wanted }
            case .prediction: try parseValue(&s, column: builder.column(named: "prediction"), into: &builder)
            case .label: try parseValue(&s, column: builder.column(named: "label"), into: &builder)
            case .eventTime(let t): eventTime = t
            }
        }
        if isWanted, let eventTime { builder.noteEventTime(eventTime) }
        return isWanted
    }

    private static func parseFeatures(_ s: inout JSONScanner, into builder: inout SampleTableBuilder) throws(RecordRejection) {
        _ = s.consume(0x7B)
        if s.consume(0x7D) { return }
        repeat {
            let name = try s.parseString()
            let column = builder.column(named: name)
            try s.expect(0x3A, "':' after a feature name")
            try parseValue(&s, column: column, into: &builder)
        } while s.consume(0x2C)
        try s.expect(0x7D, "',' or '}' in `features`")
    }

    @inline(__always)
    private static func parseValue(_ s: inout JSONScanner, column: Int, into builder: inout SampleTableBuilder) throws(RecordRejection) {
        let kind = try s.peekValueKind()
        switch kind {
        case .number: builder.setNumber(try s.parseNumber(), column: column)
        case .string: builder.setText(try s.parseString(), column: column)
        case .trueValue: try s.parseLiteral(kind); builder.setText("true", column: column)
        case .falseValue: try s.parseLiteral(kind); builder.setText("false", column: column)
        case .null: try s.parseLiteral(kind); builder.setNull(column: column)
        case .object, .array: try s.skipValue(depth: 2); builder.setOther(column: column)
        }
    }
}
