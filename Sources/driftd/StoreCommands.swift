import ArgumentParser
import DriftCore
import DriftDaemon
import DriftNotify
import DriftStats
import DriftStore
import Foundation

/// Options every command that works on the store takes.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "The driftd configuration file (YAML).")
    var config: String

    func load() throws -> DriftConfiguration { try DriftConfiguration.load(file: config) }

    /// `writer` names a command that runs the pipeline on the store: it takes the store's
    /// writer lock (one such command per store at a time).
    /// Commands that only read (or act on what is there) need the store to exist: a typo in
    /// `store:` must not create an empty store and report "no alerts". Writers, and the
    /// commands a new user starts with (`baseline fit`), create it.
    func openStore(writer: String? = nil, creating: Bool = false) throws -> (DriftConfiguration, AlertStore) {
        let c = try load()
        if writer == nil && !creating && !FileManager.default.fileExists(atPath: c.storePath) {
            throw InputFailure(message: "no store at \(c.storePath) (store: in \(c.file)) — check the path; a store is created by "
                               + "driftd baseline fit, driftd replay or driftd run")
        }
        let store = try AlertStore(path: c.storePath, writerCommand: writer)
        if let copy = store.migrationBackup {
            writeStandardError("driftd: upgraded the schema of the store \(c.storePath); the store as it was is kept in \(copy)\n")
        }
        if let previous = store.lock?.tookOverFrom {
            writeStandardError("driftd: took the store \(c.storePath) over from \(previous), which did not end cleanly (it crashed or was killed)\n")
        }
        return (c, store)
    }
}

/// Who did it, for the audit log.
var operatorName: String { ProcessInfo.processInfo.environment["USER"] ?? "unknown" }

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-config", abstract: "Validate a configuration file.")
    @Argument(help: "The configuration file.") var file: String

    func run() throws {
        let c = try DriftConfiguration.load(file: file)
        if let missing = c.notify.missingSecrets.first { throw InputFailure(message: missing) }
        print("\(file): ok — store \(c.storePath), \(c.models.count) model\(c.models.count == 1 ? "" : "s"): " +
              c.models.map { m in
                  let w = m.window
                  let window = w.basis == .count ? "count \(w.size)\(w.hop != w.size ? " hop \(w.hop)" : "")"
                                                  : "event time \(w.size) ms\(w.hop != w.size ? " hop \(w.hop) ms" : "")"
                  return "\(m.id) (\(window), \(m.rules.count) rules)"
              }.joined(separator: "; "))
        if let k = c.kafka {
            print("kafka: \(k.topics.joined(separator: ", ")) in group \(k.group) at \(k.bootstrapServers)" +
                  (k.checkpointTopic.map { "; handovers to \($0)" } ?? "") + (k.alertsTopic.map { "; alerts to \($0)" } ?? ""))
        }
        if !c.notify.receivers.isEmpty {
            print("paging: \(c.notify.receivers.map(\.name).joined(separator: ", "))" + (c.notify.route == nil ? " (no route: nothing is sent)" : ""))
        }
        print("retention: " + RetentionKind.allCases.map { "\($0) \(c.retention[$0])" }.joined(separator: ", ") +
              ", every \(Retention.age(seconds: c.retention.interval))")
        if let h = c.http {
            let named = h.namedTokenVariables.map { "\($0.name) from $\($0.environmentVariable)" }
            let tokens = (h.tokenEnvironmentVariable.map { ", token from $\($0)" } ?? "")
                + (named.isEmpty ? "" : ", named tokens: " + named.joined(separator: ", "))
            print("http: \(h.listen)" + (tokens.isEmpty ? ", no token: state-changing requests refused" : tokens))
        }
    }
}

struct BaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline", abstract: "Fit, list, show and activate model baselines.",
        subcommands: [Fit.self, List.self, Show.self, Activate.self])

    struct Fit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fit a baseline from a reference file and make it active.",
            discussion: """
                One model: --model ID. Many models from one file: --all-models fits every configured \
                model found in the file (JSON Lines) in one pass and stores them in one transaction; \
                with --all-models, each --model is a regular expression that selects models.
                """)
        @OptionGroup var options: ConfigOption
        @Option(help: "The model (with --all-models: a regular expression, repeatable).") var model: [String] = []
        @Flag(help: "Fit every configured model whose records are in the file.") var allModels = false
        @Option(help: "Reference records (JSON Lines or CSV).") var from: String
        @Option(help: "Version name (default: the time of fitting).") var version: String?

        func validate() throws {
            if !allModels && model.count != 1 {
                throw ValidationError(model.isEmpty ? "name the model with --model ID, or fit every model in the file with --all-models"
                                                    : "one --model without --all-models; to fit several, use --all-models with --model patterns")
            }
        }

        func run() throws {
            let (c, store) = try options.openStore(creating: true)
            guard allModels else {
                let result = try BaselineFitting.fit(configuration: c, model: model[0], reference: from, version: version, store: store, actor: operatorName)
                for r in result.rejections.prefix(20) { writeStandardError("driftd: \(from):\(r.line): skipped: \(r.rejection)\n") }
                print(Self.describe(result.baseline))
                return
            }
            let result = try BaselineFitting.fitAll(configuration: c, patterns: model, reference: from, version: version, store: store, actor: operatorName)
            for r in result.rejections.prefix(20) { writeStandardError("driftd: \(from):\(r.line): skipped: \(r.rejection)\n") }
            if result.rejections.count > 20 { writeStandardError("driftd: \(from): \(result.rejections.count - 20) more lines skipped\n") }
            for b in result.baselines.prefix(result.baselines.count > 50 ? 10 : 50) { print(Self.describe(b)) }
            if result.baselines.count > 50 { print("… and \(result.baselines.count - 10) more") }
            print("\(result.baselines.count) baselines fitted and active (version \(result.baselines.first?.version ?? "-"))")
            if !result.absent.isEmpty {
                writeStandardError("driftd: no records in \(from) for \(result.absent.count) configured model(s): \(result.absent.prefix(20).joined(separator: ", ")) — they keep their baselines (or have none)\n")
            }
            if !result.unconfigured.isEmpty {
                writeStandardError("driftd: \(from) has records of \(result.unconfigured.count) model(s) that \(c.file) does not configure\(model.isEmpty ? "" : " or --model does not select"): \(result.unconfigured.prefix(20).joined(separator: ", ")) — skipped\n")
            }
        }

        static func describe(_ b: Baseline) -> String {
            "baseline \(b.model) \(b.version): \(b.recordCount) records, \(b.features.count) features " +
                "(\(b.features.filter { $0.profile.kind == .numeric }.count) numeric, \(b.features.filter { $0.profile.kind == .categorical }.count) categorical)" +
                (b.performance.map { ", \($0.metric.rawValue) \($0.value)" } ?? "") + " — active"
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List baseline versions.")
        @OptionGroup var options: ConfigOption
        @Option(help: "Only this model.") var model: String?
        @OptionGroup var time: TimeZoneOption

        func run() throws {
            let (_, store) = try options.openStore()
            let rows = try store.baselines(model: model)
            if rows.isEmpty { print("no baselines — fit one with driftd baseline fit"); return }
            print(TextTable.render([["model", "version", "records", "created", "active"]] + rows.map {
                [$0.model, $0.version, String($0.recordCount), Timestamps.text(seconds: $0.createdAt, zone: time.zone), $0.active ? "yes" : ""]
            }))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a model's active (or given) baseline.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The model.") var model: String
        @Option(help: "A version other than the active one.") var version: String?

        func run() throws {
            let (_, store) = try options.openStore()
            guard let b = try store.baseline(model: model, version: version) else {
                throw InputFailure(message: "no baseline for \(model)\(version.map { " version \($0)" } ?? "") — driftd baseline list shows what there is")
            }
            print("baseline \(b.model) \(b.version): \(b.recordCount) records" + (b.eventRate.map { String(format: ", %.1f records/s", $0) } ?? ""))
            var rows = [["feature", "type", "n", "mean", "sd", "min", "max", "missing", "bins / categories"]]
            for f in b.features {
                switch f.profile {
                case .numeric(let p):
                    rows.append([f.name, "numeric", String(p.moments.count), Format.g(p.moments.mean), Format.g(p.moments.populationStandardDeviation),
                                 Format.g(p.moments.min), Format.g(p.moments.max), Format.percent(p.quality.missingRate), "\(p.binning.binCount) bins"])
                case .categorical(let p):
                    let n = p.counts.reduce(0, +)
                    rows.append([f.name, "categorical", String(n - p.counts[p.missingSlot]), "", "", "", "",
                                 Format.percent(Double(p.counts[p.missingSlot]) / Double(Swift.max(n, 1))),
                                 "\(p.categories.count) categories" + (p.otherCategories.isEmpty ? "" : " + \(p.otherCategories.count) other")])
                }
            }
            print(TextTable.render(rows))
        }
    }

    struct Activate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a stored baseline version the active one.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The model.") var model: String
        @Argument(help: "The version.") var version: String

        func run() throws {
            let (_, store) = try options.openStore()
            try store.activateBaseline(model: model, version: version, actor: operatorName)
            print("baseline \(model) \(version) is active")
        }
    }
}

/// `--tz`: the zone the times a command prints are shown in.
struct TimeZoneOption: ParsableArguments {
    @Option(name: .customLong("tz"), help: "Show times in this zone: UTC (default), an IANA name such as Europe/Berlin, or local.")
    var name: String = "UTC"

    var zone: TimeZone {
        name == "local" ? TimeZone.current : TimeZone(identifier: name) ?? TimeZone(identifier: "UTC")!
    }

    func validate() throws {
        if name != "local" && TimeZone(identifier: name) == nil {
            throw ValidationError("--tz must be UTC, local or an IANA zone name such as Europe/Berlin or America/New_York, got '\(name)'")
        }
    }
}

enum Timestamps {
    /// A wall-clock time as an operator reads it, always with its zone:
    /// `2026-12-01 15:20:07 UTC`, `2026-12-01 16:20:07 +01:00`.
    static func text(seconds: Double, zone: TimeZone = TimeZone(identifier: "UTC")!) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = zone.secondsFromGMT() == 0 && zone.identifier.hasPrefix("UTC") || zone.identifier == "GMT" ? "yyyy-MM-dd HH:mm:ss 'UTC'" : "yyyy-MM-dd HH:mm:ss xxx"
        return f.string(from: Date(timeIntervalSince1970: seconds))
    }
    static func text(milliseconds: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}

enum Format {
    static func g(_ v: Double) -> String { v.isFinite ? String(format: "%.4g", v) : "-" }
    /// NaN is a figure that does not exist (an empty sample): "-", like a missing one.
    static func f4(_ v: Double?) -> String {
        guard let v, !v.isNaN else { return "-" }
        return v.isFinite ? String(format: "%.4f", v) : (v > 0 ? "inf" : "-inf")
    }
    static func percent(_ v: Double) -> String { String(format: "%.2f%%", v * 100) }
}

/// Aligned plain-text tables.
enum TextTable {
    static func render(_ rows: [[String]]) -> String {
        guard let header = rows.first else { return "" }
        let widths = header.indices.map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max()! }
        return rows.map { row in
            row.enumerated().map { c, text in text.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}
