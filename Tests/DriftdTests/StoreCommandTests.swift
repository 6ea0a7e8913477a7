import DriftCore
import DriftStats
import DriftStore
import DriftTestTraits
import DriftTesting
import Foundation
import Testing

/// `driftd store check | backup | export` as an operator runs them, on a store filled by
/// `driftd replay`; every exported figure is compared with the store's own reports and alerts.
@Suite("driftd store", .serialized, .offThePool)
struct StoreCommandTests {
    static let minute: Int64 = 60_000
    static let start = SyntheticStream().startTime

    struct Workspace {
        let dir: TemporaryDirectory
        let config: String
        let store: String

        /// Ten one-minute windows of 600 records; drift from the sixth on fires alerts.
        init() throws {
            dir = try TemporaryDirectory()
            store = dir.url.appendingPathComponent("s.sqlite").path
            config = try dir.write("driftd.yaml", "store: s.sqlite\nmodels:\n  - id: shop\n    window: { size: 1m }\n")
            let reference = try dir.write("reference.jsonl", SyntheticStream(seed: 7).text(6000))
            let fit = try run(["baseline", "fit", "--model", "shop", "--from", reference, "--version", "v1"])
            try #require(fit.status == 0, "\(fit.standardError)")
            let stream = try dir.write("stream.jsonl", SyntheticStream(seed: 8, driftFrom: 3000).text(6001))
            let replay = try run(["replay", stream])
            try #require(replay.status == 0, "\(replay.standardError)")
        }

        func run(_ arguments: [String]) throws -> DriftdRun { try DriftdProcess.run(arguments + ["--config", config]) }
        func opened() throws -> AlertStore { try AlertStore(path: store) }
    }

    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber).intValue
    }

    @Test("check: a sound store is ok with its summary; a page overwritten in the middle exits 1 with the problems and how to restore")
    func check() throws {
        let w = try Workspace()
        let good = try w.run(["store", "check"])
        #expect(good.status == 0, "\(good.standardError)")
        let lines = good.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.count == 2 && lines.last == "ok", "\(good.standardOutput)")
        let summary = try #require(lines.first)
        let reports = try w.opened().windowReports(model: "shop")
        #expect(reports.count == 10)
        #expect(summary.hasPrefix("store \(w.store): schema v"), "\(summary)")
        #expect(summary.contains("window_reports \(reports.count)") && summary.contains("baselines 1"), "\(summary)")
        #expect(summary.contains("alert_transitions \(try w.opened().transitionLog().count)"), "\(summary)")
        #expect(summary.contains("journal_mode wal") && summary.contains("auto_vacuum "), "\(summary)")

        // A copy of the store with one page in the middle overwritten.
        let damaged = w.dir.url.appendingPathComponent("damaged.sqlite").path
        #expect(try w.run(["store", "backup", damaged]).status == 0)
        try Self.python(damaged, run: "db.execute('VACUUM')")  // no free pages: the page overwritten is one in use
        try Self.overwriteMiddlePage(damaged)
        let config = try w.dir.write("damaged.yaml", "store: damaged.sqlite\nmodels:\n  - id: shop\n")
        let bad = try DriftdProcess.run(["store", "check", "--config", config])
        #expect(bad.status == 1, "\(bad.standardOutput) \(bad.standardError)")
        #expect(bad.standardOutput.contains("problem"), "\(bad.standardOutput)")
        #expect(!bad.standardOutput.split(separator: "\n").contains("ok"))
        #expect(bad.standardError.contains("the store \(damaged) is damaged"), "\(bad.standardError)")
        #expect(bad.standardError.contains("Restore it from a backup") && bad.standardError.contains("rm -f \(damaged)-wal \(damaged)-shm"),
                "\(bad.standardError)")

        let noCopy = w.dir.url.appendingPathComponent("of-damaged.sqlite").path
        let refused = try DriftdProcess.run(["store", "backup", noCopy, "--config", config])
        #expect(refused.status == 2 && refused.standardError.contains("the store itself is damaged"), "\(refused.standardError)")
        #expect(!FileManager.default.fileExists(atPath: noCopy), "a damaged store gives no backup")

        let missing = try w.dir.write("missing.yaml", "store: none.sqlite\nmodels:\n  - id: shop\n")
        let none = try DriftdProcess.run(["store", "check", "--config", missing])
        #expect(none.status == 2 && none.standardError.contains("no store at"), "\(none.standardError)")
        #expect(!FileManager.default.fileExists(atPath: w.dir.url.appendingPathComponent("none.sqlite").path), "check creates nothing")

        // Not a store at all: no advice to copy a backup over someone else's file.
        let text = try w.dir.write("notes.sqlite", "just some notes\n")
        let foreignConfig = try w.dir.write("foreign.yaml", "store: notes.sqlite\nmodels:\n  - id: shop\n")
        let foreign = try DriftdProcess.run(["store", "check", "--config", foreignConfig])
        #expect(foreign.status == 1)
        #expect(foreign.standardError.contains("\(text) is not a driftd store") && !foreign.standardError.contains("Restore it from a backup"),
                "\(foreign.standardError)")
    }

    /// Overwrites, with a pattern no page holds, the page at the middle of a store file.
    static func overwriteMiddlePage(_ path: String) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        let header = try #require(try handle.read(upToCount: 100))
        let pageSize = UInt64(header[16]) << 8 | UInt64(header[17])
        let size = try handle.seekToEnd()
        try #require(size / pageSize >= 8, "the store spans enough pages")
        try handle.seek(toOffset: (size / pageSize / 2) * pageSize)
        try handle.write(contentsOf: Data((0..<Int(pageSize)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }))
    }

    static func python(_ path: String, run code: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import sqlite3, sys\ndb = sqlite3.connect(sys.argv[1], isolation_level=None)\n\(code)\ndb.close()", path]
        try p.run()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0)
    }

    /// The first column of a query, read by Python's sqlite3: a reader that is not driftd's.
    static func python(_ path: String, query sql: String) throws -> [Int64] {
        let p = Process(), out = Pipe()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import sqlite3, sys\nfor r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print(r[0])", path, sql]
        p.standardOutput = out
        try p.run()
        let text = String(decoding: PipeReading.readToEnd(out.fileHandleForReading), as: UTF8.self)
        p.waitUntilExit()
        try #require(p.terminationStatus == 0)
        return text.split(separator: "\n").compactMap { Int64($0) }
    }

    @Test("backup: a 0600 copy that reads back as the store; an existing file is refused without --force")
    func backup() throws {
        let w = try Workspace()
        let copy = w.dir.url.appendingPathComponent("backups/one.sqlite").path
        try FileManager.default.createDirectory(atPath: w.dir.url.appendingPathComponent("backups").path, withIntermediateDirectories: true)
        let made = try w.run(["store", "backup", copy])
        #expect(made.status == 0, "\(made.standardError)")
        #expect(made.standardOutput.hasPrefix("backed up \(w.store) to \(copy): ") && made.standardOutput.contains("mode 0600, integrity ok"),
                "\(made.standardOutput)")
        #expect(try Self.mode(copy) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.dir.url.appendingPathComponent("backups").path) == ["one.sqlite"])
        do {
            let original = try w.opened()
            let restored = try AlertStore(path: copy)
            #expect(try restored.windowReports(model: "shop") == original.windowReports(model: "shop"))
            #expect(try restored.alerts() == original.alerts())
            #expect(try restored.baseline(model: "shop") == original.baseline(model: "shop"))
        }

        let before = try Data(contentsOf: URL(fileURLWithPath: copy))
        let again = try w.run(["store", "backup", copy])
        #expect(again.status == 2 && again.standardError.contains("\(copy) exists") && again.standardError.contains("--force"), "\(again.standardError)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == before, "a refused backup leaves the file alone")
        let forced = try w.run(["store", "backup", copy, "--force"])
        #expect(forced.status == 0, "\(forced.standardError)")
        #expect(try Self.mode(copy) == 0o600)
        let folder = try w.run(["store", "backup", w.dir.url.path])
        #expect(folder.status == 2 && folder.standardError.contains("is a folder"), "\(folder.standardError)")
    }

    @Test("export --format jsonl: one typed object per window report and per alert, equal to what the store holds")
    func exportJSONLines() throws {
        let w = try Workspace()
        let store = try w.opened()
        let reports = try store.windowReports(model: "shop")
        let all = try w.run(["store", "export", "--model", "shop"])
        #expect(all.status == 0 && all.standardError.isEmpty, "\(all.standardError)")
        let lines = try all.standardOutput.split(separator: "\n").map { try JSONValue.parse(String($0)) }
        #expect(lines.count == reports.count)
        for (line, report) in zip(lines, reports) { Self.expectWindow(line, equals: report) }

        // Minutes 2, 3 and 4: --from inclusive, --to exclusive, in either notation.
        let from = RFC3339.format(milliseconds: Self.start + 2 * Self.minute)
        let some = try w.run(["store", "export", "--model", "shop", "--from", from, "--to", String(Self.start + 5 * Self.minute)])
        let picked = try some.standardOutput.split(separator: "\n").map { try JSONValue.parse(String($0)) }
        #expect(picked.map { $0["window_index"]?.number } == reports[2..<5].map { Double($0.windowIndex) })
        for (line, report) in zip(picked, reports[2..<5]) { Self.expectWindow(line, equals: report) }

        let alerts = try store.alerts()
        try #require(!alerts.isEmpty, "the drift fired alerts")
        let exported = try w.run(["store", "export", "--model", "shop", "--kind", "alerts"])
        #expect(exported.status == 0, "\(exported.standardError)")
        let objects = try exported.standardOutput.split(separator: "\n").map { try JSONValue.parse(String($0)) }
        // Pending alerts that never fired (cancelled) are exported too; driftd alerts hides them.
        #expect(objects.map { $0["alert_id"]?.number } == (try Self.python(w.store, query: "SELECT id FROM alerts ORDER BY id")).map { Double($0) })
        let listed = objects.filter { $0["state"]?.string != "cancelled" }
        #expect(listed.count == alerts.count)
        for (object, alert) in zip(listed, alerts.sorted { $0.id < $1.id }) {
            #expect(object["type"]?.string == "alert")
            #expect(object["alert_id"]?.number == Double(alert.id) && object["fingerprint"]?.string == alert.fingerprint)
            #expect(object["feature"]?.string == (alert.feature.isEmpty ? nil : alert.feature) && object["rule"]?.string == alert.rule)
            #expect(object["state"]?.string == alert.state && object["severity"]?.string == alert.severity && object["value"]?.number == alert.value)
            let transitions = object["transitions"]?.array ?? []
            #expect(transitions.map { $0["transition_id"]?.number } == alert.transitions.map { Double($0.id) })
            #expect(transitions.map { $0["kind"]?.string } == alert.transitions.map(\.kind))
            #expect(transitions.map { $0["transition_value"]?.number } == alert.transitions.map(\.value))
            for (t, stored) in zip(transitions, alert.transitions) {
                let window = try #require(reports.first { $0.windowIndex == stored.windowIndex })
                #expect(t["window_event_time"]?.string == RFC3339.format(milliseconds: window.start))
            }
        }

        // The schema names exactly the fields the lines hold.
        let schema = try JSONValue.parse(try w.run(["store", "export", "--schema", "--kind", "windows"]).standardOutput).array ?? []
        #expect(Set(schema.compactMap { $0["name"]?.string }) == Set(lines[0].object?.keys.map { $0 } ?? []))
        let featureSchema = schema.first { $0["name"]?.string == "features" }?["fields"]?.array ?? []
        #expect(Set(featureSchema.compactMap { $0["name"]?.string }) == Set(lines[0]["features"]?.array?.first?.object?.keys.map { $0 } ?? []))
        let alertSchema = try JSONValue.parse(try w.run(["store", "export", "--schema", "--kind", "alerts"]).standardOutput).array ?? []
        #expect(Set(alertSchema.compactMap { $0["name"]?.string }) == Set(objects[0].object?.keys.map { $0 } ?? []))
        #expect(schema.allSatisfy { ["STRING", "INTEGER", "FLOAT", "TIMESTAMP", "JSON", "RECORD"].contains($0["type"]?.string ?? "") })
    }

    /// One exported window line against the stored report, figure by figure.
    static func expectWindow(_ line: JSONValue, equals report: WindowReport) {
        #expect(line["type"]?.string == "window_report")
        #expect(line["model"]?.string == report.model && line["window_index"]?.number == Double(report.windowIndex))
        #expect(line["event_time"]?.string == RFC3339.format(milliseconds: report.start), "an event-time window's time is its start")
        #expect(line["window_start"]?.number == Double(report.start) && line["window_end"]?.number == Double(report.end))
        #expect(line["record_count"]?.number == Double(report.recordCount) && line["baseline_version"]?.string == report.baselineVersion)
        #expect(line["window_status"]?.string == report.status.rawValue && line["source"]?.string?.hasSuffix("stream.jsonl") == true)
        #expect(line["expected_records"]?.number == report.expectedRecords)
        let features = line["features"]?.array ?? []
        #expect(features.map { $0["feature"]?.string } == report.features.map(\.name))
        for (f, stored) in zip(features, report.features) {
            #expect(f["feature_status"]?.string == stored.status.rawValue && f["feature_kind"]?.string == stored.kind.rawValue)
            expectNumber(f["psi"], stored.numeric?.psi ?? stored.categorical?.psi)
            expectNumber(f["js"], stored.numeric?.jensenShannon ?? stored.categorical?.jensenShannon)
            expectNumber(f["ks_d"], stored.numeric?.ks?.statistic)
            expectNumber(f["ks_p"], stored.numeric?.ks?.pValue)
            expectNumber(f["chi2_p"], stored.categorical?.chiSquare?.pValue)
            expectNumber(f["unseen_rate"], stored.categorical?.unseenRate)
            expectNumber(f["missing_rate"], stored.numeric?.missingRate ?? stored.categorical?.missingRate)
            let decisions = f["decisions"]?.array ?? []
            #expect(decisions.map { $0["rule"]?.string } == (stored.decisions ?? []).map(\.rule))
            #expect(decisions.map { $0["verdict"]?.string } == (stored.decisions ?? []).map(\.verdict.rawValue))
            for (d, s) in zip(decisions, stored.decisions ?? []) { expectNumber(d["p_value"], s.pValue) }
        }
    }

    /// A finite figure exactly; a missing or non-finite one as null (absent in CSV).
    static func expectNumber(_ value: JSONValue?, _ expected: Double?, sourceLocation: SourceLocation = #_sourceLocation) {
        if let expected, expected.isFinite {
            #expect(value?.number == expected, sourceLocation: sourceLocation)
        } else {
            #expect(value == nil || value == .null, "\(String(describing: value))", sourceLocation: sourceLocation)
        }
    }

    @Test("export --format csv: a header as the schema says, one row per window × feature and per alert × transition, equal to the store")
    func exportCSV() throws {
        let w = try Workspace()
        let store = try w.opened()
        let reports = try store.windowReports(model: "shop")
        let out = w.dir.url.appendingPathComponent("windows.csv").path
        let written = try w.run(["store", "export", "--model", "shop", "--format", "csv", "--output", out])
        #expect(written.status == 0, "\(written.standardError)")
        #expect(written.standardOutput.contains("exported \(reports.count) window reports of shop to \(out)"))
        #expect(try Self.mode(out) == 0o600)
        let table = Self.parseCSV(try String(contentsOfFile: out, encoding: .utf8))
        let header = try #require(table.first)
        let schema = try JSONValue.parse(try w.run(["store", "export", "--schema", "--format", "csv"]).standardOutput).array ?? []
        #expect(header == schema.compactMap { $0["name"]?.string }, "the header is the schema's columns, in order")
        let rows = table.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
        let expected = reports.flatMap { r in r.features.map { (r, $0) } }
        #expect(rows.count == expected.count)
        for (row, (report, feature)) in zip(rows, expected) {
            #expect(row["window_index"] == String(report.windowIndex) && row["feature"] == feature.name)
            #expect(row["event_time"] == RFC3339.format(milliseconds: report.start))
            #expect(row["record_count"] == String(report.recordCount) && row["window_status"] == report.status.rawValue)
            #expect(row["feature_status"] == feature.status.rawValue)
            Self.expectCSVNumber(row["psi"], feature.numeric?.psi ?? feature.categorical?.psi)
            Self.expectCSVNumber(row["ks_d"], feature.numeric?.ks?.statistic)
            Self.expectCSVNumber(row["unseen_rate"], feature.categorical?.unseenRate)
            let decisions = try JSONValue.parse(row["decisions"] ?? "null").array ?? []
            #expect(decisions.map { $0["verdict"]?.string } == (feature.decisions ?? []).map(\.verdict.rawValue))
        }
        let refused = try w.run(["store", "export", "--model", "shop", "--format", "csv", "--output", out])
        #expect(refused.status == 2 && refused.standardError.contains("--force"), "\(refused.standardError)")

        let alerts = try store.alerts().sorted { $0.id < $1.id }
        let alertTable = Self.parseCSV(try w.run(["store", "export", "--model", "shop", "--kind", "alerts", "--format", "csv"]).standardOutput)
        let alertHeader = try #require(alertTable.first)
        let alertSchema = try JSONValue.parse(try w.run(["store", "export", "--schema", "--format", "csv", "--kind", "alerts"]).standardOutput).array ?? []
        #expect(alertHeader == alertSchema.compactMap { $0["name"]?.string })
        let alertRows = alertTable.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(alertHeader, $0)) }.filter { $0["state"] != "cancelled" }
        let transitions = alerts.flatMap { a in a.transitions.map { (a, $0) } }
        #expect(alertRows.count == transitions.count)
        for (row, (alert, t)) in zip(alertRows, transitions) {
            #expect(row["alert_id"] == String(alert.id) && row["fingerprint"] == alert.fingerprint && row["state"] == alert.state)
            #expect(row["transition_id"] == String(t.id) && row["kind"] == t.kind && row["window_index"] == String(t.windowIndex))
            Self.expectCSVNumber(row["transition_value"], t.value)
        }
    }

    static func expectCSVNumber(_ cell: String?, _ expected: Double?, sourceLocation: SourceLocation = #_sourceLocation) {
        if let expected, expected.isFinite {
            #expect(cell.flatMap(Double.init) == expected, "\(cell ?? "nil")", sourceLocation: sourceLocation)
        } else {
            #expect(cell == "", sourceLocation: sourceLocation)
        }
    }

    /// RFC 4180, as a warehouse loader reads it.
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
        var chars = text.makeIterator()
        var pending: Character? = nil
        while let c = pending ?? chars.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let n = chars.next() { if n == "\"" { field.append("\"") } else { quoted = false; pending = n } } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" { quoted = true
            } else if c == "," { row.append(field); field = ""
            } else if c == "\n" { row.append(field); rows.append(row); row = []; field = ""
            } else { field.append(c) }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }

    @Test("export of nothing: an empty export, and standard error says what the store holds; bad times are refused")
    func exportNothing() throws {
        let w = try Workspace()
        let nobody = try w.run(["store", "export", "--model", "nobody"])
        #expect(nobody.status == 0 && nobody.standardOutput.isEmpty)
        #expect(nobody.standardError.contains("no window reports of nobody") && nobody.standardError.contains("1 other model: shop"), "\(nobody.standardError)")
        let later = try w.run(["store", "export", "--model", "shop", "--from", "2030-01-01T00:00:00Z", "--format", "csv"])
        #expect(later.status == 0)
        #expect(later.standardOutput.split(separator: "\n").count == 1, "a CSV export of nothing is its header")
        #expect(later.standardError.contains("the store holds 10 window reports of shop with event times from \(RFC3339.format(milliseconds: Self.start))"),
                "\(later.standardError)")
        let bad = try w.run(["store", "export", "--model", "shop", "--from", "yesterday"])
        #expect(bad.status == 2 && bad.standardError.contains("--from 'yesterday' is neither an RFC 3339 time"), "\(bad.standardError)")
        let backwards = try w.run(["store", "export", "--model", "shop", "--from", "2000", "--to", "1000"])
        #expect(backwards.status == 2 && backwards.standardError.contains("--from must be before --to"), "\(backwards.standardError)")
    }
}
