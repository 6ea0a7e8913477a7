import DriftTestTraits
import DriftTesting
import Foundation
import Testing

/// `driftd replay` as operators run it: baselines, windows, alerts, dead letters, and a
/// replay killed with SIGKILL and restarted giving exactly the uninterrupted result.
@Suite("driftd replay end to end", .serialized, .offThePool)
struct ReplayTests {
    struct Workspace {
        let dir: TemporaryDirectory
        let config: String
        let store: String
        init(window: String = "{ count: 2000 }") throws {
            dir = try TemporaryDirectory()
            store = dir.url.appendingPathComponent("store.sqlite").path
            config = try dir.write("driftd.yaml", "store: store.sqlite\nmodels:\n  - id: shop\n    window: \(window)\n")
        }
        func driftd(_ arguments: [String]) throws -> DriftdRun {
            try DriftdProcess.run(arguments.map { $0 == "CONFIG" ? config : $0 })
        }
        func fitBaseline() throws {
            let ref = try dir.write("reference.jsonl", SyntheticStream(seed: 7).text(6000))
            let fit = try driftd(["baseline", "fit", "--config", "CONFIG", "--model", "shop", "--from", ref, "--version", "v1"])
            #expect(fit.status == 0, "\(fit.standardError)")
        }
        func json(_ arguments: [String]) throws -> JSONValue {
            let run = try driftd(arguments + ["--format", "json"])
            #expect(run.status == 0, "\(run.standardError)")
            return try JSONValue.parse(run.standardOutput)
        }
    }

    @Test("drift in the stream fires alerts at the window where it starts, and nothing before")
    func alertsFireWhereDriftStarts() throws {
        let w = try Workspace()
        try w.fitBaseline()
        let stream = try w.dir.write("stream.jsonl", SyntheticStream(seed: 8, driftFrom: 10_000).text(20_000))
        let replay = try w.driftd(["replay", "--config", "CONFIG", stream])
        #expect(replay.status == 0, "\(replay.standardError)")
        #expect(replay.standardOutput.contains("replayed 20000 records"))
        let alerts = try w.json(["alerts", "--config", "CONFIG"]).array!
        let fired = Set(alerts.map { "\($0["feature"]?.string ?? "-")/\($0["rule"]!.string!)" })
        #expect(fired.contains("amount/psi") && fired.contains("amount/ks"), "\(fired)")
        #expect(fired.contains("channel/unseen_categories"), "\(fired)")
        #expect(!fired.contains { $0.hasPrefix("items/") }, "a stable feature never alerts: \(fired)")
        for a in alerts { #expect(a["started_window"]!.number! == 5, "\(a)") }
        let report = try w.json(["report", "--config", "CONFIG", "--model", "shop"]).array!
        #expect(report.count == 10)
        #expect(report.first?["window_index"]?.number == 0)
        #expect(report.first?["record_count"]?.number == 2000)
        let again = try w.driftd(["replay", "--config", "CONFIG", stream])
        #expect(again.standardOutput.contains("already replayed to the end"))
        // Another file of the same model into the same store continues the model's windows
        // and alert book: no alert fires twice, and the drift that is gone resolves.
        let day2 = try w.dir.write("day2.jsonl", SyntheticStream(seed: 11).text(6000))
        let second = try w.driftd(["replay", "--config", "CONFIG", day2])
        #expect(second.status == 0, "\(second.standardError)")
        let windows = try w.json(["report", "--config", "CONFIG", "--model", "shop"]).array!.map { $0["window_index"]!.number! }
        #expect(windows == (0..<13).map(Double.init))
        let after = try w.json(["alerts", "--config", "CONFIG"]).array!
        #expect(after.count == alerts.count, "no alert is raised anew")
        for a in after {
            let kinds = a["transitions"]!.array!.map { $0["kind"]!.string! }
            #expect(kinds.filter { $0 == "firing" }.count == 1, "\(a)")
            #expect(a["state"]?.string == "resolved", "\(a)")
        }
    }

    @Test("one record stamped a year ahead: a dead letter with its reason, counted in the summary, and no window changes")
    func wildTimestamp() throws {
        let clean = try Workspace(window: "{ size: 1m }"), wild = try Workspace(window: "{ size: 1m }")
        try clean.fitBaseline(); try wild.fitBaseline()
        var lines = SyntheticStream(seed: 13).records(6000)
        let cleanFile = try clean.dir.write("stream.jsonl", lines.joined(separator: "\n") + "\n")
        let year: Int64 = 365 * 86_400_000
        lines.insert(lines[3000].replacingOccurrences(of: "\"ts\":\(SyntheticStream().startTime + 3000 * 100)",
                                                      with: "\"ts\":\(SyntheticStream().startTime + 3000 * 100 + year)"), at: 3000)
        let wildFile = try wild.dir.write("stream.jsonl", lines.joined(separator: "\n") + "\n")
        #expect(try clean.driftd(["replay", "--config", "CONFIG", cleanFile]).status == 0)
        let run = try wild.driftd(["replay", "--config", "CONFIG", wildFile])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("1 rejected (driftd deadletters; 1 with timestamps far from their stream)"), "\(run.standardOutput)")
        let letters = try wild.json(["deadletters", "--config", "CONFIG"]).array!
        #expect(letters.count == 1)
        #expect(letters.first?["reason"]?.string?.contains("365.0 days ahead of the model's stream") == true, "\(letters)")
        #expect(try clean.json(["report", "--config", "CONFIG", "--model", "shop"]) == wild.json(["report", "--config", "CONFIG", "--model", "shop"]))
        #expect(try wild.json(["alerts", "--config", "CONFIG"]).array?.isEmpty == true, "no volume alert, nothing frozen")
    }

    @Test("an alert resolved by hand while the drift goes on fires again at the next window that breaches, as a new episode that pages")
    func manualResolveRewindsThePipeline() throws {
        let w = try Workspace()
        try w.fitBaseline()
        let stream = try w.dir.write("stream.jsonl", SyntheticStream(seed: 8, driftFrom: 10_000).text(20_000))
        #expect(try w.driftd(["replay", "--config", "CONFIG", stream]).status == 0)
        let firing = try w.json(["alerts", "--config", "CONFIG"]).array!
        let psi = try #require(firing.first { $0["feature"]?.string == "amount" && $0["rule"]?.string == "psi" })
        let id = try #require(psi["id"]?.number.map { String(Int($0)) })
        #expect(try w.driftd(["alerts", "resolve", id, "--by", "ana", "--config", "CONFIG"]).status == 0)
        // The next file drifts as much: the pipeline's book follows the operator, so the
        // breach opens a new episode (from the file's first window) instead of being a
        // severity change inside the episode the operator closed.
        let more = try w.dir.write("more.jsonl", SyntheticStream(seed: 12, driftFrom: 0).text(6000))
        #expect(try w.driftd(["replay", "--config", "CONFIG", more]).status == 0)
        let after = try w.json(["alerts", "--config", "CONFIG"]).array!
        let again = try #require(after.first { $0["feature"]?.string == "amount" && $0["rule"]?.string == "psi" },
                                 "the resolved alert fires again: \(after.map { "\($0["feature"]?.string ?? "-")/\($0["rule"]?.string ?? "")" })")
        #expect(again["state"]?.string == "firing")
        #expect(again["started_window"]?.number == 10, "a new episode from the first window of the new file: \(again)")
        let stillOpen = firing.filter { $0["id"]?.number != psi["id"]?.number }.compactMap { $0["id"]?.number }
        for other in after where stillOpen.contains(other["id"]?.number ?? -1) {
            #expect(other["started_window"]?.number == 5, "alerts nobody resolved stay in their episode: \(other)")
        }
    }

    @Test("two files replayed one after the other give the windows and transitions of their concatenation")
    func filesContinueTheModel() throws {
        let split = try Workspace(), whole = try Workspace()
        try split.fitBaseline(); try whole.fitBaseline()
        let records = SyntheticStream(seed: 12, driftFrom: 7000).records(15_000)
        let first = try split.dir.write("part1.jsonl", records[..<9000].joined(separator: "\n") + "\n")
        let second = try split.dir.write("part2.jsonl", records[9000...].joined(separator: "\n") + "\n")
        let all = try whole.dir.write("all.jsonl", records.joined(separator: "\n") + "\n")
        #expect(try split.driftd(["replay", "--config", "CONFIG", first]).status == 0)
        #expect(try split.driftd(["replay", "--config", "CONFIG", second]).status == 0)
        #expect(try whole.driftd(["replay", "--config", "CONFIG", all]).status == 0)
        func windows(_ w: Workspace) throws -> [String] {
            try w.json(["report", "--config", "CONFIG", "--model", "shop"]).array!.map {
                "\($0["window_index"]!.number!) \($0["record_count"]!.number!) \($0["status"]!.string!)"
            }
        }
        func transitions(_ w: Workspace) throws -> [String] {
            try w.json(["alerts", "--config", "CONFIG"]).array!.flatMap { a in
                a["transitions"]!.array!.map { "\(a["feature"]?.string ?? "-")/\(a["rule"]!.string!) \($0["kind"]!.string!) \($0["window"]!.number!)" }
            }.sorted()
        }
        #expect(try windows(split) == windows(whole))
        #expect(try transitions(split) == transitions(whole))
        #expect(try !transitions(whole).isEmpty, "the drift fires, so the comparison means something")
    }

    @Test("malformed lines go to dead letters with their line and reason, and change no report")
    func deadLetters() throws {
        let clean = try Workspace(), dirty = try Workspace()
        try clean.fitBaseline(); try dirty.fitBaseline()
        var lines = SyntheticStream(seed: 9).records(9000)
        let cleanFile = try clean.dir.write("stream.jsonl", lines.joined(separator: "\n") + "\n")
        let bad = ["{\"model\":\"shop\",\"features\":{\"amount\":NaN}}", "{\"features\":{}}", "[]", "{\"model\":\"shop\"",
                   "{\"model\":\"shop\",\"features\":\"x\"}", "\u{FF}\u{FE}"]
        for (k, b) in bad.enumerated() { lines.insert(b, at: 1000 * (k + 1)) }
        let dirtyFile = try dirty.dir.write("stream.jsonl", lines.joined(separator: "\n") + "\n")
        #expect(try clean.driftd(["replay", "--config", "CONFIG", cleanFile]).status == 0)
        #expect(try dirty.driftd(["replay", "--config", "CONFIG", dirtyFile]).status == 0)
        let letters = try dirty.json(["deadletters", "--config", "CONFIG"]).array!
        #expect(letters.count == bad.count)
        let lineNumbers: [Double] = letters.map { $0["line"]!.number! }
        let expectedLines: [Double] = (1...bad.count).map { k in Double(1000 * k + 1) }
        #expect(lineNumbers == expectedLines)
        #expect(letters[0]["reason"]?.string?.contains("NaN and Infinity") == true)
        #expect(letters[1]["reason"]?.string?.contains("`model` is missing") == true)
        let cleanReports = try clean.json(["report", "--config", "CONFIG", "--model", "shop"])
        let dirtyReports = try dirty.json(["report", "--config", "CONFIG", "--model", "shop"])
        #expect(cleanReports == dirtyReports)
    }

    @Test("SIGKILL at random moments, then restart: reports and transitions identical to an uninterrupted run")
    func crashEquivalence() throws {
        let reference = try Workspace(window: "{ count: 1500, hop: 500 }"), crashed = try Workspace(window: "{ count: 1500, hop: 500 }")
        try reference.fitBaseline(); try crashed.fitBaseline()
        let text = SyntheticStream(seed: 10, driftFrom: 30_000).text(60_000)
        let file1 = try reference.dir.write("stream.jsonl", text), file2 = try crashed.dir.write("stream.jsonl", text)
        #expect(try reference.driftd(["replay", "--config", "CONFIG", file1, "--commit-every", "700"]).status == 0)

        var g = SeededGenerator(seed: 99)
        var kills = 0, finished = false
        for attempt in 0..<200 where !finished {
            let process = Process()
            process.executableURL = DriftdProcess.executable
            process.arguments = ["replay", "--config", crashed.config, file2, "--commit-every", "700", "--quiet"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Up to 300 ms at first, growing with each attempt: a run must be able to reach a
            // commit and finally the end, also on a loaded machine (start-up alone is ~50 ms).
            let delay = UInt32.random(in: 10_000...(300_000 + 25_000 * UInt32(attempt)), using: &g)
            usleep(delay)
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
            finished = process.terminationReason == .exit && process.terminationStatus == 0
        }
        #expect(finished, "the replay finished after \(kills) kills")
        #expect(kills >= 2, "kills landed mid-run")
        print("crash equivalence: \(kills) SIGKILLs before the replay finished")
        let finish = try crashed.driftd(["replay", "--config", "CONFIG", file2])
        #expect(finish.status == 0)

        let a = try reference.json(["report", "--config", "CONFIG", "--model", "shop"])
        let b = try crashed.json(["report", "--config", "CONFIG", "--model", "shop"])
        #expect(a.array?.count == 118, "windows of 1,500 every 500 records over 60,000")
        #expect(a == b, "window reports identical row for row")
        let alertsA = try reference.json(["alerts", "--config", "CONFIG"]), alertsB = try crashed.json(["alerts", "--config", "CONFIG"])
        #expect(alertsA == alertsB, "alert transitions identical")
        #expect((alertsA.array?.count ?? 0) > 0)
    }
}
