import Foundation
import Logging
import Synchronization

/// Log events kept in memory, to check what a component logs: `logger` hands out a
/// `Logger` whose events land here as `level message metadata`.
public final class CapturedLog: Sendable {
    private let lines = Mutex<[String]>([])
    /// The messages alone, in order.
    private let messages = Mutex<[String]>([])

    public init() {}

    public func append(level: Logger.Level, message: String, metadata: Logger.Metadata) {
        lines.withLock { $0.append("\(level) \(message) \(metadata)") }
        messages.withLock { $0.append(message) }
    }

    /// Every event, one per line, with its level and metadata.
    public var text: String { lines.withLock { $0.joined(separator: "\n") } }
    /// The events' messages, in order.
    public var all: [String] { messages.withLock { $0 } }

    public var logger: Logger {
        Logger(label: "driftd.test") { _ in CapturingHandler(log: self) }
    }

    struct CapturingHandler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            log.append(level: event.level, message: event.message.description, metadata: metadata.merging(event.metadata ?? [:]) { $1 })
        }
    }
}
