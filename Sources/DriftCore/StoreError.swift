/// An error of the store an operator can act on: what went wrong, in words that name the
/// store and say what to do, and its kind — which decides whether driftd waits and tries
/// again (a full disk, a read-only remount, an I/O error, a busy file) or stops.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        /// The request names something the store does not hold (an alert id, a baseline).
        case notFound = "not_found"
        /// What the request asks is refused by the state of what it names.
        case conflict
        /// The request itself is malformed (a silence without matchers).
        case invalidRequest = "invalid_request"
        /// The file system has no room for the write.
        case diskFull = "disk_full"
        /// The file system or the file refuses writes.
        case readOnly = "read_only"
        /// The file system failed a read or a write.
        case ioError = "io_error"
        /// Another connection held SQLite's lock longer than the busy timeout.
        case busy
        /// The file at the store's path is damaged.
        case corrupt
        /// The file at the store's path is not a driftd store.
        case notAStore = "not_a_store"
        /// Another driftd process owns the store (its writer lock).
        case inUse = "in_use"
        /// The store cannot be opened or created (missing folder, permissions).
        case cannotOpen = "cannot_open"
        /// Anything else SQLite reported.
        case other
    }

    public var kind: Kind
    public var description: String

    public init(_ description: String, kind: Kind = .conflict) {
        self.kind = kind
        self.description = description
    }

    /// Faults of the storage that pass by themselves or by an operator's hand (space freed,
    /// file system remounted): a daemon keeps its state and tries again instead of exiting.
    public var isRetriable: Bool { [.diskFull, .readOnly, .ioError, .busy].contains(kind) }
}
