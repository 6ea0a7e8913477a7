import DriftCore
import DriftKafka
import DriftStore
import DriftTestTraits
import DriftTesting
import Foundation
import Testing

/// Retention through the binary: `driftd store prune` (dry run first), `driftd replay`
/// pruning at its end, and a bad `retention:` refused at start.
@Suite("driftd store prune end to end", .offThePool)
struct StorePruneTests {
    struct Workspace {
        let dir: TemporaryDirectory
        let config: String
        let storePath: String
        init(retention: String = "retention:\n  window_reports: 7d\n  resolved_alerts: 30d\n") throws {
            dir = try TemporaryDirectory()
            storePath = dir.url.appendingPathComponent("store.sqlite").path
            config = try dir.write("driftd.yaml", "store: store.sqlite\nmodels:\n  - id: shop\n    window: { count: 2000 }\n" + retention)
        }
        func driftd(_ arguments: [String]) throws -> DriftdRun {
            try DriftdProcess.run(arguments.map { $0 == "CONFIG" ? config : $0 })
        }
    }

    /// Fits the baseline and replays 10,000 records (five windows), then makes the store
    /// look ten days old: every report and a resolved alert committed then.
    static func agedStore(_ w: Workspace) throws {
        let ref = try w.dir.write("reference.jsonl", SyntheticStream(seed: 7).text(6000))
        #expect(try w.driftd(["baseline", "fit", "--config", "CONFIG", "--model", "shop", "--from", ref]).status == 0)
        let stream = try w.dir.write("old.jsonl", SyntheticStream(seed: 8).text(10_000))
        let replay = try w.driftd(["replay", "--config", "CONFIG", stream])
        #expect(replay.status == 0, "\(replay.standardError)")
        #expect(!replay.standardError.contains("pruned"), "a fresh replay has nothing to prune")
        let store = try AlertStore(path: w.storePath)
        let tenDaysAgo = AlertStore.now - 10 * 86_400
        // An alert that fired and resolved ten days ago (and was never routed anywhere).
        var output = Transitions.output([Transitions.make("shop", "amount", "psi", .firing), Transitions.make("shop", "amount", "psi", .resolved, window: 2)])
        output.reports = []
        try store.commit(output, checkpoint: Transitions.checkpoint, source: "old-alerts", now: tenDaysAgo)
        for e in try store.pendingOutbox() { try store.route(outboxID: e.id, alertID: e.alertID, plans: [], now: tenDaysAgo) }
        try agedReports(w.storePath, committedAt: tenDaysAgo)
    }

    /// Sets every window report's commit time, as the store of a daemon that wrote them then.
    static func agedReports(_ path: String, committedAt: Double) throws {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute('UPDATE window_reports SET committed_at = ?', (float(sys.argv[2]),)); db.commit()",
                            path, String(committedAt)]
        try python.run()
        python.waitUntilExit()
        #expect(python.terminationStatus == 0)
    }

    @Test("store prune: a dry run counts, the prune deletes exactly that, the newest report stays, and it is audited")
    func prune() throws {
        let w = try Workspace()
        try Self.agedStore(w)
        let dry = try w.driftd(["store", "prune", "--config", "CONFIG", "--dry-run"])
        #expect(dry.status == 0, "\(dry.standardError)")
        #expect(dry.standardOutput.contains("retention: window_reports 7d, resolved_alerts 30d, deliveries 30d, dead_letters 7d, audit keep"), "\(dry.standardOutput)")
        #expect(dry.standardOutput.contains("would prune 4 window reports (4 rows); nothing deleted"), "\(dry.standardOutput)")
        #expect(try AlertStore(path: w.storePath).windowReports(model: "shop").count == 5)

        let run = try w.driftd(["store", "prune", "--config", "CONFIG"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("pruned 4 window reports (4 rows); store \(w.storePath): "), "\(run.standardOutput)")
        // The sizes are the database file's, its log checkpointed: pruning never reads as growth.
        let sizes = try #require(run.standardOutput.firstMatch(of: /: ([0-9.]+) MB → ([0-9.]+) MB/))
        #expect(Double(sizes.2)! <= Double(sizes.1)!, "\(run.standardOutput)")
        #expect(!run.standardOutput.contains("auto_vacuum"), "a store this driftd created shrinks; nothing to explain")
        let store = try AlertStore(path: w.storePath)
        #expect(try store.windowReports(model: "shop").map(\.windowIndex) == [4], "the model's newest report stays")
        #expect(try store.alerts().count == 1, "the resolved alert is ten days old: within resolved_alerts 30d")
        #expect(try store.auditLog().first.map { "\($0.action): \($0.detail)" } == "store.prune: 4 window reports")
        #expect(try store.baseline(model: "shop") != nil, "the active baseline is never pruned")
        #expect(try store.modelCheckpoints()["shop"] != nil, "nor the model's state")
        let again = try w.driftd(["store", "prune", "--config", "CONFIG"])
        #expect(again.standardOutput.contains("pruned nothing (0 rows)"), "\(again.standardOutput)")
    }

    @Test("replay prunes once at its end, and says what it pruned")
    func replayPrunes() throws {
        let w = try Workspace(retention: "retention:\n  window_reports: 7d\n  resolved_alerts: 5d\n")
        try Self.agedStore(w)
        let stream = try w.dir.write("new.jsonl", SyntheticStream(seed: 9).text(4000))
        let replay = try w.driftd(["replay", "--config", "CONFIG", stream])
        #expect(replay.status == 0, "\(replay.standardError)")
        // The five old reports go (the two new ones are the newest); the resolved alert with
        // its two transitions and two outbox rows.
        #expect(replay.standardError.contains("driftd: pruned 5 window reports, 1 resolved alerts (5 rows) past their retention"), "\(replay.standardError)")
        let store = try AlertStore(path: w.storePath)
        #expect(try store.windowReports(model: "shop").map(\.windowIndex) == [5, 6])
        #expect(try store.alerts().isEmpty)
    }

    @Test("driftd run prunes at start, counts it in /metrics, logs it, and stops with the daemon on SIGTERM")
    func runPrunes() async throws {
        let broker = try EmbeddedBroker()
        let topic = "inference-\(UUID().uuidString.prefix(6))"
        try broker.createTopic(topic, partitions: 1)
        let w = try Workspace(retention: """
            retention:
              window_reports: 7d
              interval: 1s
            kafka:
              bootstrap: \(broker.bootstrapServers)
              topics: [\(topic)]
              group: driftd-prune-test
              properties: { session.timeout.ms: "6000" }
            http: { listen: "127.0.0.1:0" }

            """)
        try Self.agedStore(w)
        let daemon = Process()
        daemon.executableURL = DriftdProcess.executable
        daemon.arguments = ["run", "--config", w.config]
        let errPath = w.dir.url.appendingPathComponent("run.log").path
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        daemon.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        daemon.standardOutput = FileHandle.nullDevice
        try daemon.run()
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        func log() -> String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && (!log().contains("pruned") || DriftdProcess.apiURL(inLog: log()) == nil) { usleep(100_000) }
        let base = try #require(DriftdProcess.apiURL(inLog: log()), "\(log())")
        #expect(log().contains("driftd: pruned 4 window reports past their retention"), "\(log())")
        let scrape = try await HTTPClient(base).get("/metrics").body
        #expect(scrape.contains("driftd_store_pruned_rows_total{kind=\"window_reports\"} 4"), "\(scrape)")
        #expect(scrape.contains("driftd_store_pruned_rows_total{kind=\"resolved_alerts\"} 0"))
        kill(daemon.processIdentifier, SIGTERM)
        let exitDeadline = Date().addingTimeInterval(30)
        while daemon.isRunning && Date() < exitDeadline { usleep(100_000) }
        #expect(!daemon.isRunning, "the daemon and its pruner stop on SIGTERM")
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0, "\(log())")
        #expect(try AlertStore(path: w.storePath).windowReports(model: "shop").map(\.windowIndex) == [4])
    }

    @Test("a bad retention is refused at start with file, line, key and reason")
    func badRetention() throws {
        let w = try Workspace(retention: "retention:\n  window_reports: forever\n")
        for command in [["store", "prune", "--config", "CONFIG"], ["check-config", "CONFIG"]] {
            let run = try w.driftd(command)
            #expect(run.status == 2)
            #expect(run.standardError.contains("driftd.yaml:6: retention.window_reports: expected a duration such as 90m, 12h, 30d or 2w"), "\(run.standardError)")
        }
    }
}
