/// Why an input record could not be used. A rejection is a value, never a crash: the
/// record is reported (dead-letter store, or a warning in `driftd compare`) and the stream
/// goes on.
public struct RecordRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong, in words an operator can act on.
    public var reason: String
    /// Byte offset within the record where the problem was found.
    public var offset: Int

    public init(_ reason: String, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String { "\(reason) (at byte \(offset + 1))" }
}
