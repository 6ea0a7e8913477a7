import Foundation
import Logging

/// How driftd's logs reach the operator: one line per event on standard error,
/// `driftd: <message>` followed by the event's metadata as `key=value` (dotted keys such as
/// `model.id`, `kafka.partition`), so a terminal and a log collector read the same text.
/// Events below `DRIFTD_LOG_LEVEL` (default `notice`) are dropped: the libraries' `info`
/// chatter (a server that started listening) is not news to an operator.
struct DriftdLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level

    init(level: Logger.Level) { logLevel = level }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        var all = metadata
        if let explicit { all.merge(explicit) { $1 } }
        var text = "driftd: " + message.description
        for key in all.keys.sorted() { text += " \(key)=\(all[key]!)" }
        writeStandardError(text + "\n")
    }

    /// Installs it for the whole process (once, from `main`).
    static func bootstrap(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let level = environment["DRIFTD_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .notice
        LoggingSystem.bootstrap { _ in DriftdLogHandler(level: level) }
    }
}
