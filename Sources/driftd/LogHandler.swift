import DriftHTTP
import Foundation
import Logging
import Metrics
import Synchronization

/// How driftd's logs reach the operator: one line per event on standard error,
/// `driftd: <message>` (`driftd notifier: ` for the notifier's) followed by the event's metadata as `key=value` (dotted keys such as
/// `model.id`, `kafka.partition`), so a terminal and a log collector read the same text.
/// Events below `DRIFTD_LOG_LEVEL` (default `notice`) are dropped: the libraries' `info`
/// chatter (a server that started listening) is not news to an operator.
struct DriftdLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level
    /// `driftd: ` for the daemon's own label, `driftd notifier: ` for `driftd.notifier`.
    let prefix: String

    init(label: String, level: Logger.Level) {
        logLevel = level
        prefix = label.split(separator: ".").joined(separator: " ") + ": "
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let explicit = event.metadata { all.merge(explicit) { $1 } }
        var text = prefix + event.message.description
        for key in all.keys.sorted() { text += " \(key)=\(all[key]!)" }
        TerminalStatusLine.shared.write(text + "\n")
    }

    /// Installs it for the whole process (once, from `main`).
    static func bootstrap(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let level = environment["DRIFTD_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .notice
        LoggingSystem.bootstrap { label in DriftdLogHandler(label: label, level: level) }
    }
}

/// The status line `driftd run` redraws in place on a terminal. A log line written while it
/// is drawn first ends it, so the two never share a line.
final class TerminalStatusLine: Sendable {
    static let shared = TerminalStatusLine()
    private let drawn = Mutex(false)

    func draw(_ line: String) {
        drawn.withLock { drawn in
            writeStandardError("\r" + line + " ")
            drawn = true
        }
    }

    /// Ends the drawn line, if any (before a log line, and at exit).
    func clear() {
        drawn.withLock { drawn in
            if drawn { writeStandardError("\n") }
            drawn = false
        }
    }

    /// Writes a log line below the status line.
    func write(_ text: String) {
        drawn.withLock { drawn in
            writeStandardError((drawn ? "\n" : "") + text)
            drawn = false
        }
    }
}

/// swift-metrics' global factory, once per process from the command that owns the
/// registry: whatever a library emits through swift-metrics lands in the registry `/metrics`
/// renders. (Hummingbird's MetricsMiddleware is left out: its families have no HELP text
/// and counters without `_total`, which `promtool check metrics` flags.)
func bootstrapMetrics(_ metrics: DriftMetrics) {
    MetricsSystem.bootstrap(metrics.factory)
}
