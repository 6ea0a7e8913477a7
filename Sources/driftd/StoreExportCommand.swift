import ArgumentParser
import DriftCore
import DriftDaemon
import DriftStore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `driftd store export`: a model's window reports or alerts in a range of event time, as
/// JSON Lines or CSV, so data can leave driftd for a warehouse before retention prunes it.
struct StoreExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export a model's window reports or alerts as JSON Lines or CSV.",
        discussion: """
            The range is on event time, half-open: --from ≤ t < --to, so consecutive exports \
            (the --to of one as the --from of the next) hold each row exactly once. A window's \
            time is its start (event-time and calendar windows) or its first record's time \
            (count windows; one whose records carry no timestamp has no time and is exported \
            only without --from and --to). An alert is exported with its transitions in the range, a transition's \
            time being its window's. Times: RFC 3339 (2026-01-01T00:00:00Z) or epoch \
            milliseconds; either bound may be left out.

            JSON Lines: one object per line, "type": "window_report" (with "features") or \
            "alert" (with "transitions"). CSV: a header, then one row per window × feature or \
            per alert × transition. --schema prints the fields (name, type, mode, description) \
            in BigQuery's schema form. Rows are streamed from one read transaction: a consistent \
            snapshot, safe beside the running daemon.
            """)

    enum Kind: String, ExpressibleByArgument, CaseIterable, Sendable { case windows, alerts }
    enum Format: String, ExpressibleByArgument, CaseIterable, Sendable { case jsonl, csv }

    @Option(help: "The driftd configuration file (YAML).") var config: String?
    @Option(help: "The model.") var model: String?
    @Option(help: "Start of the range, inclusive: RFC 3339 or epoch milliseconds.") var from: String?
    @Option(help: "End of the range, exclusive: RFC 3339 or epoch milliseconds.") var to: String?
    @Option(help: "jsonl or csv.") var format: Format = .jsonl
    @Option(help: "windows or alerts.") var kind: Kind = .windows
    @Option(help: "Write to this file (mode 0600) instead of standard output.") var output: String?
    @Flag(help: "With --output: replace the file if it exists.") var force = false
    @Flag(help: "Print the fields of --kind in --format, and nothing else.") var schema = false

    func validate() throws {
        if schema { return }
        guard config != nil else { throw ValidationError("name the configuration with --config FILE (the store is the one it names)") }
        guard model != nil else { throw ValidationError("name the model with --model ID (driftd alerts or the API's /api/v1/models list them)") }
        let range = try self.range()
        if let f = range.from, let t = range.to, f >= t {
            throw ValidationError("--from must be before --to (the range is --from ≤ t < --to)")
        }
    }

    func range() throws -> EventTimeRange {
        EventTimeRange(from: try from.map { try Self.time($0, option: "--from") }, to: try to.map { try Self.time($0, option: "--to") })
    }

    /// RFC 3339 or epoch milliseconds, as records' `ts` is read.
    static func time(_ text: String, option: String) throws -> Int64 {
        if let ms = Int64(text) { return ms }
        if let ms = RFC3339.epochMilliseconds(text) { return ms }
        throw ValidationError("\(option) '\(text)' is neither an RFC 3339 time (2026-01-01T00:00:00Z) nor epoch milliseconds")
    }

    func run() throws {
        if schema {
            print(ExportSchema.describe(kind: kind, format: format))
            return
        }
        guard let config, let model else { return }
        let configuration = try DriftConfiguration.load(file: config)
        guard FileManager.default.fileExists(atPath: configuration.storePath) else {
            throw InputFailure(message: "no store at \(configuration.storePath) — driftd replay or driftd run create it")
        }
        let store = try AlertStore(path: configuration.storePath)
        let range = try self.range()
        let sink = try ExportSink(output: output, force: force)
        let exported: Int
        do {
            exported = try export(from: store, model: model, range: range, to: sink)
            try sink.finish()
        } catch {
            sink.abandon()
            throw error
        }
        if exported == 0 {
            writeStandardError("driftd: \(try Self.nothingToExport(store: store, model: model, kind: kind, range: range))\n")
        }
        if let output {
            print("exported \(exported) \(kind == .windows ? "window report" : "alert")\(exported == 1 ? "" : "s") of \(model) to \(output)")
        }
    }

    func export(from store: AlertStore, model: String, range: EventTimeRange, to sink: ExportSink) throws -> Int {
        switch (kind, format) {
        case (.windows, .jsonl):
            return try store.exportWindowReports(model: model, range: range) { w in
                let features = w.report.features.map { Self.jsonFields(ExportSchema.feature, $0.withoutFiguresOfAnEmptySample) }
                try sink.write("{\"type\":\"window_report\"," + Self.jsonMembers(ExportSchema.window, w) +
                               ",\"features\":[" + features.joined(separator: ",") + "]}\n")
            }
        case (.alerts, .jsonl):
            return try store.exportAlerts(model: model, range: range) { a in
                let transitions = ExportSchema.transitions(of: a).map { Self.jsonFields(ExportSchema.transition, $0) }
                try sink.write("{\"type\":\"alert\"," + Self.jsonMembers(ExportSchema.alert, a) +
                               ",\"transitions\":[" + transitions.joined(separator: ",") + "]}\n")
            }
        case (.windows, .csv):
            try sink.write(Self.csvHeader(ExportSchema.window.map(\.name) + ExportSchema.feature.map(\.name)))
            return try store.exportWindowReports(model: model, range: range) { w in
                let window = Self.csvFields(ExportSchema.window, w)
                // A window of a model without features still gets its row.
                let features = w.report.features.isEmpty ? [String(repeating: ",", count: ExportSchema.feature.count - 1)]
                    : w.report.features.map { Self.csvFields(ExportSchema.feature, $0.withoutFiguresOfAnEmptySample) }
                for f in features { try sink.write(window + "," + f + "\n") }
            }
        case (.alerts, .csv):
            try sink.write(Self.csvHeader(ExportSchema.alert.map(\.name) + ExportSchema.transition.map(\.name)))
            return try store.exportAlerts(model: model, range: range) { a in
                let alert = Self.csvFields(ExportSchema.alert, a)
                for t in ExportSchema.transitions(of: a) { try sink.write(alert + "," + Self.csvFields(ExportSchema.transition, t) + "\n") }
            }
        }
    }

    static func jsonFields<Row>(_ fields: [ExportSchema.Field<Row>], _ row: Row) -> String { "{" + jsonMembers(fields, row) + "}" }

    static func jsonMembers<Row>(_ fields: [ExportSchema.Field<Row>], _ row: Row) -> String {
        fields.map { "\(JSONText.string($0.name)):\($0.value(row).jsonText)" }.joined(separator: ",")
    }

    static func csvFields<Row>(_ fields: [ExportSchema.Field<Row>], _ row: Row) -> String {
        fields.map { $0.value(row).csvText }.joined(separator: ",")
    }

    static func csvHeader(_ names: [String]) -> String { names.joined(separator: ",") + "\n" }

    /// What the store does hold, so an empty export says whether the model, the range or the
    /// kind was wrong.
    static func nothingToExport(store: AlertStore, model: String, kind: Kind, range: EventTimeRange) throws -> String {
        let h = try store.holdings(model: model)
        let window = range.isUnbounded ? "" : " with event time in [\(range.from.map { RFC3339.format(milliseconds: $0) } ?? "the beginning"), \(range.to.map { RFC3339.format(milliseconds: $0) } ?? "the end"))"
        let what = kind == .windows ? "window reports" : "alert transitions"
        guard h.windowReports > 0 || h.alerts > 0 else {
            let others = h.models.isEmpty ? "the store holds no window reports or alerts at all (driftd replay or driftd run write them)"
                : "the store holds data of \(h.models.count) other model\(h.models.count == 1 ? "" : "s"): \(h.models.prefix(20).joined(separator: ", "))"
            return "nothing exported: no \(what) of \(model) — \(others)"
        }
        var holds = "the store holds \(h.windowReports) window report\(h.windowReports == 1 ? "" : "s") of \(model)"
        if let first = h.firstEventTime, let last = h.lastEventTime {
            holds += " with event times from \(RFC3339.format(milliseconds: first)) to \(RFC3339.format(milliseconds: last))"
        }
        if h.windowsWithoutEventTime > 0 { holds += " (\(h.windowsWithoutEventTime) without event time, exported only without --from and --to)" }
        holds += ", and \(h.alerts) alert\(h.alerts == 1 ? "" : "s") with \(h.transitions) transition\(h.transitions == 1 ? "" : "s")"
        return "nothing exported: no \(what) of \(model)\(window) — \(holds)"
    }
}

/// Where an export goes, a buffer at a time: standard output, or a file that appears under
/// its name only once complete (written beside it, 0600, then renamed), so a failed export
/// never leaves a half file a loader could mistake for a whole one.
final class ExportSink {
    private let fd: Int32
    private let name: String
    private let partial: String?
    private let destination: String?
    private var buffer: [UInt8] = []
    private static let capacity = 1 << 16

    init(output: String?, force: Bool) throws {
        guard let output else {
            fd = 1; name = "standard output"; partial = nil; destination = nil
            return
        }
        if FileManager.default.fileExists(atPath: output) && !force {
            throw InputFailure(message: "\(output) exists — name another file, or add --force to replace it")
        }
        let url = URL(fileURLWithPath: output)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())").path
        let opened = open(temporary, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o600)
        guard opened >= 0 else {
            throw InputFailure(message: "cannot write \(output): \(String(cString: strerror(errno))) — check that its folder exists and is writable")
        }
        _ = fchmod(opened, 0o600)
        fd = opened; name = output; partial = temporary; destination = output
        buffer.reserveCapacity(Self.capacity)
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= Self.capacity { try drain() }
    }

    private func drain() throws {
        try buffer.withUnsafeBytes { bytes in
            var done = 0
            while done < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    throw InputFailure(message: "cannot write the export to \(name): \(String(cString: strerror(errno)))" +
                                       (partial == nil ? "" : " — nothing was written under that name; check the free space and run it again"))
                }
                done += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func finish() throws {
        try drain()
        guard let partial, let destination else { return }
        guard fsync(fd) == 0, close(fd) == 0, rename(partial, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(partial)
            throw InputFailure(message: "cannot finish \(destination): \(reason) — nothing was written under that name")
        }
    }

    func abandon() {
        guard let partial else { return }
        close(fd)
        unlink(partial)
    }
}
