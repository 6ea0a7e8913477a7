/// The parts of the record format both record readers check the same way (the streaming
/// decoder and the whole-file sample parser): the object around the fields, the `model`
/// id, and what may follow the record.
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
}
