import ArgumentParser
import DriftCore
import DriftDaemon
import DriftStats
import DriftStore
import Foundation

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run the monitoring pipeline over a JSON Lines file into the store.",
        discussion: """
        Runs exactly the daemon's pipeline (decode, windows, rules, alerts) with the file as its \
        source. Resumes from the store's checkpoint for the file: run it again after an \
        interruption and it continues; a finished file is a no-op. At the end of the file the \
        last full window closes and a partial one stays open.
        """)

    @OptionGroup var options: ConfigOption
    @Argument(help: "Inference records, one JSON object per line.") var file: String
    @Option(help: "Records between commit points when no window closes.") var commitEvery: Int = 100_000
    @Option(help: "Threads that decode the file (default: one per processor, at most 8).") var decodingThreads: Int?
    @Flag(help: "No progress line.") var quiet = false
    @Flag(help: "Print where the time went (setup, accumulating, closing windows, commit points).") var timings = false

    func validate() throws {
        if let decodingThreads, decodingThreads < 1 { throw ValidationError("--decoding-threads must be at least 1") }
    }

    func run() throws {
        let (c, store) = try options.openStore(writer: "driftd replay")
        var replayOptions = Replay.Options()
        replayOptions.commitEveryRecords = Swift.max(1, commitEvery)
        if let decodingThreads {
            replayOptions.decodingThreads = decodingThreads
        }
        let showProgress = !quiet && isatty(2) != 0
        let progress: ((Replay.Progress) -> Void)? = showProgress ? { p in
            let rate = p.seconds > 0 ? Double(p.records) / p.seconds : 0
            let percent = p.totalBytes > 0 ? Double(p.bytes) / Double(p.totalBytes) * 100 : 100
            writeStandardError(String(format: "\r%5.1f%%  %ld records  %.0f records/s  %ld windows closed  %d alerts firing  %ld rejected ",
                                      percent, p.records, rate, p.windowsClosed, p.firing, p.rejected))
        } : nil
        let summary = try Replay.run(file: file, configuration: c, store: store, options: replayOptions, progress: progress)
        if showProgress { writeStandardError("\n") }
        // Retention once at the end, after the summary, as a daemon does every interval (logged
        // when it pruned). The replay is complete by then: a failure to prune does not undo it.
        defer {
            do { try StorePruner.pruneOnce(store: store, policy: c.retention, now: AlertStore.now, options: PrunerOptions()) } catch {
                writeStandardError("driftd: the replay is complete, but pruning the store \(c.storePath) failed: \(error) — run driftd store prune later\n")
            }
        }
        if summary.alreadyComplete {
            print("\(file): already replayed to the end; nothing to do (\(summary.firing.count) alerts firing)")
            return
        }
        let rate = summary.seconds > 0 ? Double(summary.records) / summary.seconds : 0
        print("replayed \(summary.records) records" + (summary.resumedFrom > 0 ? " (resumed at byte \(summary.resumedFrom))" : "") +
              String(format: " in %.2f s (%.0f records/s): ", summary.seconds, rate) +
              "\(summary.windowsClosed) windows closed in all, \(summary.transitions) alert transitions, " +
              "\(summary.rejected) rejected (driftd deadletters" + (summary.skewed > 0 ? "; \(summary.skewed) with timestamps far from their stream" : "") + "), " +
              "\(summary.late) late, \(summary.unmonitored) of unmonitored models")
        if summary.firing.isEmpty { print("no alerts firing") } else {
            print("firing: " + summary.firing.map(\.description).joined(separator: ", "))
        }
        print("store: \(c.storePath)")
        if timings {
            let t = summary.timings
            print(String(format: "timings: setup %.3f s, accumulating %.3f s in %d chunks (closing windows %.3f s in %d of them), " +
                         "commit points %.3f s in %d, waiting for decoding %.3f s",
                         t.setup, t.accumulating, t.chunks, t.closing, t.chunksWithCloses, t.committing, t.commits, t.waitingForDecode))
        }
    }
}

struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List alerts from the store, with deliveries that failed.")
    @OptionGroup var options: ConfigOption
    @Option(help: "Only alerts in this state: firing, pending, resolved, or acknowledged (firing with an active ack).") var state: String?
    @Option(help: "Only this model.") var model: String?
    @Option(help: "Only this severity: warning or critical.") var severity: String?
    @Option(help: "At most this many (newest first).") var limit: Int?
    @Option(help: "table or json.") var format: OutputFormat = .table
    @OptionGroup var time: TimeZoneOption

    func validate() throws {
        if let state, !["firing", "pending", "resolved", "acknowledged"].contains(state) {
            throw ValidationError("--state must be firing, pending, resolved or acknowledged, got '\(state)'")
        }
        if let severity, !["warning", "critical"].contains(severity) {
            throw ValidationError("--severity must be warning or critical, got '\(severity)'")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
    }

    func run() throws {
        let (_, store) = try options.openStore()
        let acks = Dictionary(try store.activeAcknowledgements().map { ($0.alertID, $0) }, uniquingKeysWith: { a, _ in a })
        let matching = try store.alerts(state: state == "acknowledged" ? "firing" : state, model: model).filter {
            (severity == nil || $0.severity == severity) && (state != "acknowledged" || acks[$0.id] != nil)
        }
        let alerts = Array(matching.prefix(limit ?? matching.count))
        let failed = Dictionary(grouping: try store.deliveries(status: .failed), by: \.entry.alertID)
        switch format {
        case .json:
            let items: [[String: Any?]] = alerts.map { a in
                ["id": a.id, "model": a.model, "feature": a.feature.isEmpty ? nil : a.feature, "rule": a.rule, "severity": a.severity,
                 "state": a.state, "value": a.value, "started_window": a.startedWindow, "updated_window": a.updatedWindow,
                 "acknowledgement": acks[a.id].map { k -> [String: Any?] in ["by": k.by, "at": k.at, "note": k.note, "expires_at": k.expiresAt] },
                 "transitions": a.transitions.map { t -> [String: Any?] in
                     ["kind": t.kind, "from": t.from, "to": t.to, "severity": t.severity, "value": t.value, "window": t.windowIndex]
                 },
                 "failed_deliveries": (failed[a.id] ?? []).map { d -> [String: Any?] in
                     ["receiver": d.receiver, "transition": d.entry.kind.rawValue, "attempts": d.attempts, "last_error": d.lastError]
                 }]
            }
            print(JSONWriter.write(items))
        case .table:
            if alerts.isEmpty { print("no alerts"); return }
            // Event-time windows by the time they start, count windows by their number.
            var starts: [String: [Int64: Int64]] = [:]
            for (model, group) in Dictionary(grouping: alerts, by: \.model) {
                starts[model] = try store.eventWindowStarts(model: model, windows: Set(group.map(\.startedWindow)))
            }
            let zone = time.zone
            print(TextTable.render([["id", "model", "feature", "rule", "severity", "state", "value", "since", "last change", "acknowledged"]] + alerts.map {
                [String($0.id), $0.model, $0.feature.isEmpty ? "-" : $0.feature, $0.rule, $0.severity ?? "-", $0.state, Format.f4($0.value),
                 starts[$0.model]?[$0.startedWindow].map { Timestamps.text(seconds: Double($0) / 1000, zone: zone) } ?? "window \($0.startedWindow)",
                 Timestamps.text(seconds: $0.updatedAt, zone: zone), acks[$0.id].map { Self.acknowledgement($0, zone: zone) } ?? "-"]
            }))
            let shown = Set(alerts.map(\.id))
            let failures = failed.filter { shown.contains($0.key) }.values.flatMap { $0 }.sorted { $0.id < $1.id }
            if !failures.isEmpty {
                print("\nfailed deliveries (\(failures.count)):")
                print(TextTable.render([["alert", "receiver", "transition", "attempts", "last error"]] + failures.map {
                    [String($0.entry.alertID), $0.receiver, $0.entry.kind.rawValue, String($0.attempts), $0.lastError ?? "-"]
                }))
            }
        }
    }
}

extension AlertsCommand {
    /// Who acknowledged, until when and why, in one cell.
    static func acknowledgement(_ a: AcknowledgementRecord, zone: TimeZone) -> String {
        "by \(a.by)" + (a.expiresAt.map { " until \(Timestamps.text(seconds: $0, zone: zone))" } ?? "") + (a.note.map { ": \($0)" } ?? "")
    }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Show a model's window reports.")
    @OptionGroup var options: ConfigOption
    @Option(help: "The model.") var model: String
    @Option(help: "Only the last N windows.") var last: Int?
    @Option(help: "table or json.") var format: OutputFormat = .table
    @OptionGroup var time: TimeZoneOption

    /// An event-time window by when it starts, in the chosen zone; a count window by its number.
    static func windowLabel(_ r: WindowReport, zone: TimeZone) -> String {
        r.basis == .eventTime ? Timestamps.text(seconds: Double(r.start) / 1000, zone: zone) : String(r.windowIndex)
    }

    func run() throws {
        let (_, store) = try options.openStore()
        let reports = try store.windowReports(model: model, last: last).map { r in
            var shown = r
            shown.features = r.features.map(\.withoutFiguresOfAnEmptySample)
            return shown
        }
        switch format {
        case .json:
            print(try NonFiniteAsNull.encode(reports))
        case .table:
            if reports.isEmpty { print("no window reports for \(model) yet — driftd replay or driftd run produce them"); return }
            var rows = [["window", "records", "feature", "psi", "ks_d", "js", "w1_norm", "unseen", "missing", "status"]]
            let zone = time.zone
            for r in reports {
                for f in r.features {
                    rows.append([Self.windowLabel(r, zone: zone), String(r.recordCount), f.name,
                                 Format.f4(f.numeric?.psi ?? f.categorical?.psi), Format.f4(f.numeric?.ks?.statistic),
                                 Format.f4(f.numeric?.jensenShannon ?? f.categorical?.jensenShannon), Format.f4(f.numeric?.wassersteinNormed),
                                 f.categorical.map { Format.percent($0.unseenRate) } ?? "-",
                                 Format.percent(f.numeric?.missingRate ?? f.categorical?.missingRate ?? 0), f.status.rawValue])
                }
            }
            print(TextTable.render(rows))
        }
    }
}

struct DeadLettersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "deadletters", abstract: "List rejected records with their reason and position.")
    @OptionGroup var options: ConfigOption
    @Option(help: "At most this many.") var limit: Int = 100
    @Option(help: "table or json.") var format: OutputFormat = .table

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1, got \(limit)") }
    }

    func run() throws {
        let (_, store) = try options.openStore()
        let rows = try store.deadLetters(limit: limit)
        switch format {
        case .json:
            print(JSONWriter.write(rows.map { d -> [String: Any?] in
                ["id": d.id, "source": d.source, "partition": Int(d.partition), "position": d.position, "line": d.line, "reason": d.reason,
                 "record": String(decoding: d.payload.prefix(4096), as: UTF8.self)]
            }))
        case .table:
            if rows.isEmpty { print("no dead letters"); return }
            print(TextTable.render([["id", "source", "line", "position", "reason"]] + rows.map {
                [String($0.id), $0.source, $0.line.map(String.init) ?? "-", "\($0.partition):\($0.position)", $0.reason]
            }))
        }
    }
}

/// JSON in which numbers JSON cannot hold (NaN, ±∞: a figure that does not exist, or an
/// infinite chi-square) are null, as in the API. JSONEncoder cannot write null for a Double,
/// so it writes a marker string no real value holds, and the marker is replaced.
enum NonFiniteAsNull {
    static let marker = "\u{FFFF}not-a-finite-number"

    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: marker, negativeInfinity: marker, nan: marker)
        return String(decoding: try encoder.encode(value), as: UTF8.self).replacingOccurrences(of: "\"\(marker)\"", with: "null")
    }
}

/// JSON for the read commands' plain dictionaries.
enum JSONWriter {
    static func write(_ value: Any?) -> String {
        guard let value else { return "null" }
        // A nil field of a [String: Any?] arrives as an Optional inside Any: unwrap it.
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            return mirror.children.first.map { write($0.value) } ?? "null"
        }
        switch value {
        case let s as String: return JSONText.string(s)
        case let b as Bool: return b ? "true" : "false"
        case let i as Int: return String(i)
        case let i as Int64: return String(i)
        case let d as Double: return JSONText.number(d)
        case let a as [[String: Any?]]: return "[" + a.map { write($0) }.joined(separator: ",\n ") + "]"
        case let a as [Any?]: return "[" + a.map { write($0) }.joined(separator: ", ") + "]"
        case let o as [String: Any?]:
            return "{" + o.keys.sorted().map { "\(JSONText.string($0)): \(write(o[$0]!))" }.joined(separator: ", ") + "}"
        default: return JSONText.string("\(value)")
        }
    }
}
