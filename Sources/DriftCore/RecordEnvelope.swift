/// The fields of one record that the format defines, in their order. The envelope — the
/// object, its keys, the `model` id, `ts`, the fields that must be there and what may follow —
/// is walked by this one type for both record readers: the streaming decoder (schema known:
/// the pipeline, `replay`) and the sample parser (schema inferred: `baseline fit`,
/// `compare`). They differ only in what they make of the values.
///
/// ```swift
/// var fields = try RecordFields(&scanner)
/// while let field = try fields.next(&scanner) {
///     switch field { case .features: ...; case .model(let id): ...; ... }
/// }
/// ```
struct RecordFields {
    enum Field {
        /// `model`: 1 to 128 bytes, valid until the next record.
        case model(UnsafeBufferPointer<UInt8>)
        /// `features`, an object, with the scanner at its `{`: parse it, or skip it
        /// (`skipValue`) and come back to it.
        case features
        /// `prediction` or `label`, any JSON value, with the scanner at it: consume it.
        case prediction, label
        /// `ts`, in ms since 1970 (nil for `null`).
        case eventTime(Int64?)
    }

    private let hasFields: Bool
    private var more: Bool
    private var first = true
    private var sawModel = false, sawFeatures = false

    /// Opens the record's object.
    init(_ s: inout JSONScanner) throws(RecordRejection) {
        hasFields = try s.beginRecord()
        more = hasFields
    }

    /// The next known field (others are skipped); nil after the last, once the record is
    /// closed and found whole. Throws the record's rejection: malformed JSON, `features` not
    /// an object, a bad `model` or `ts`, data after the record, `model` or `features` missing
    /// (in that order). A repeated key comes again (the last one wins).
    mutating func next(_ s: inout JSONScanner) throws(RecordRejection) -> Field? {
        while more {
            if !first && !s.consume(0x2C) { more = false; break }
            first = false
            let key = try s.parseString()
            try s.expect(0x3A, "':' after a key")
            if bytesEqual(key, "features") {
                guard try s.peekValueKind() == .object else { throw s.fail("`features` must be an object") }
                sawFeatures = true
                return .features
            } else if bytesEqual(key, "model") {
                sawModel = true
                return .model(try s.parseModelID())
            } else if bytesEqual(key, "ts") {
                return .eventTime(try s.parseEventTime())
            } else if bytesEqual(key, "prediction") {
                return .prediction
            } else if bytesEqual(key, "label") {
                return .label
            }
            try s.skipValue(depth: 1)
        }
        try s.endRecord(hadFields: hasFields)
        guard sawModel else { throw .missingModel }
        guard sawFeatures else { throw .missingFeatures }
        return nil
    }
}

extension JSONScanner {
    /// Opens the record's top-level object; false when it is `{}`.
    mutating func beginRecord() throws(RecordRejection) -> Bool {
        skipWhitespace()
        guard peek() == 0x7B else {
            if isAtEnd { throw RecordRejection("empty record", at: 0) }
            throw fail("the record is not a JSON object")
        }
        _ = consume(0x7B)
        return !consume(0x7D)
    }

    /// Closes the object after the last field (an empty `{}` is closed already); nothing
    /// but whitespace may follow.
    mutating func endRecord(hadFields: Bool) throws(RecordRejection) {
        if hadFields { try expect(0x7D, "',' or '}' after a field") }
        skipWhitespace()
        guard isAtEnd else { throw fail("unexpected data after the record") }
    }

    /// Walks the top-level object's fields, skipping their values, until `stop` accepts a key:
    /// true with the scanner at that key's value, false when the object ends first (or is
    /// `{}`). For readers that need one field before the rest (the model of a record) or only
    /// the keys (a repeated key in an API body).
    public mutating func seekField(_ stop: (UnsafeBufferPointer<UInt8>) -> Bool) throws(RecordRejection) -> Bool {
        guard try beginRecord() else { return false }
        repeat {
            let key = try parseString()
            try expect(0x3A, "':' after a key")
            if stop(key) { return true }
            try skipValue(depth: 1)
        } while consume(0x2C)
        return false
    }

    /// The `model` value: a string of 1 to 128 bytes.
    mutating func parseModelID() throws(RecordRejection) -> UnsafeBufferPointer<UInt8> {
        guard try peekValueKind() == .string else { throw fail("`model` must be a string") }
        let id = try parseString()
        if id.isEmpty { throw fail("`model` is empty") }
        let limit = InferenceRecordParser.maximumModelIdBytes
        if id.count > limit { throw fail("`model` is longer than \(limit) bytes") }
        return id
    }
}

extension RecordRejection {
    static let missingModel = RecordRejection("`model` is missing", at: 0)
    static let missingFeatures = RecordRejection("`features` is missing", at: 0)

    /// A record over the size limit, or nil.
    static func oversized(_ count: Int, limit: Int) -> RecordRejection? {
        count <= limit ? nil : RecordRejection("record of \(count) bytes is over the size limit of \(limit) bytes", at: 0)
    }
}
