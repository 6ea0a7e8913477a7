import DriftCore
import DriftStore
import DriftTesting
import Foundation
import Testing

/// The store: baselines versioned with one active, commit points atomic, checkpoints that
/// survive reopening a WAL database, and an audit trail of operator actions.
@Suite("Alert store")
struct AlertStoreTests {
    static let baseline = SyntheticStream(seed: 3).baseline(records: 1000)

    @Test("baselines are versioned, one active per model, every change audited")
    func baselines() throws {
        let store = try AlertStore()
        try store.saveBaseline(Self.baseline, activate: false, actor: "ana")
        var v2 = Self.baseline; v2.version = "v2"
        try store.saveBaseline(v2, activate: false, actor: "ana")
        #expect(try store.baseline(model: "shop")?.version == "v1", "the first baseline of a model becomes active")
        try store.activateBaseline(model: "shop", version: "v2", actor: "bo")
        #expect(try store.baseline(model: "shop")?.version == "v2")
        #expect(try store.baseline(model: "shop", version: "v1") == Self.baseline, "a baseline reads back exactly")
        #expect(try store.baselines().map(\.active) == [false, true])
        #expect(throws: StoreError.self) { try store.saveBaseline(v2, activate: true, actor: "ana") }
        #expect(throws: StoreError.self) { try store.activateBaseline(model: "shop", version: "v9", actor: "bo") }
        #expect(try store.auditLog().map(\.action) == ["baseline.activate", "baseline.fit", "baseline.fit"])
    }

    @Test("baselines and model states written as JSON by an older driftd still read; new ones are stored compact")
    func olderBodiesRead() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("s.sqlite").path
        let store = try AlertStore(path: path)
        try store.saveBaseline(Self.baseline, activate: true, actor: "ana")
        let monitor = ModelMonitor(baseline: Self.baseline, configuration: WindowConfiguration(basis: .count, size: 500))
        var pipeline = Pipeline(source: "old", monitors: [monitor], rules: [:])
        for (i, r) in SyntheticStream(seed: 4).records(700).enumerated() {
            Array(r.utf8).withUnsafeBufferPointer { pipeline.ingest($0, position: SourcePosition(partition: 0, offset: Int64(i))) }
        }
        pipeline.flush(now: 0)
        let state = try #require(pipeline.checkpoint.models?["shop"])
        try store.commit(pipeline.takeOutput(), checkpoint: pipeline.takeCheckpoint(), source: "old")
        #expect(try store.modelCheckpoints()["shop"] == state)
        // Rewrite both bodies as the JSON text an older driftd stored.
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let baselineJSON = String(decoding: try encoder.encode(Self.baseline), as: UTF8.self)
        let stateJSON = String(decoding: try encoder.encode(state), as: UTF8.self)
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sqlite.arguments = ["python3", "-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            kinds = [r[0] for r in db.execute("SELECT typeof(body) FROM baselines UNION ALL SELECT typeof(body) FROM model_states")]
            assert kinds == ["blob", "blob"], kinds
            db.execute("UPDATE baselines SET body = ?", (sys.argv[2],))
            db.execute("UPDATE model_states SET body = ?", (sys.argv[3],))
            db.commit()
            """, path, baselineJSON, stateJSON]
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(sqlite.terminationStatus == 0, "new bodies are compact blobs; the rewrite to JSON text worked")
        let reopened = try AlertStore(path: path)
        #expect(try reopened.baseline(model: "shop") == Self.baseline)
        #expect(try reopened.activeBaselines()["shop"] == Self.baseline)
        #expect(try reopened.modelCheckpoints()["shop"] == state)
    }

    @Test("a commit point stores reports, transitions, outbox rows and the checkpoint; a WAL store reopens with them")
    func commitAndReopen() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("s.sqlite").path
        let monitor = ModelMonitor(baseline: Self.baseline, configuration: WindowConfiguration(basis: .count, size: 500, minimumSamples: 10))
        var pipeline = Pipeline(source: "test", monitors: [monitor], rules: ["shop": Rule.defaults])
        for (i, r) in SyntheticStream(seed: 5, driftFrom: 500).records(1200).enumerated() {
            var bytes = Array(r.utf8)
            bytes.withUnsafeMutableBufferPointer { pipeline.ingest(UnsafeBufferPointer($0), position: SourcePosition(partition: 0, offset: Int64(i + 1))) }
        }
        pipeline.flush(now: 0)
        let output = pipeline.takeOutput()
        #expect(output.reports.count == 2)
        #expect(!output.transitions.isEmpty)
        do {
            let store = try AlertStore(path: path)
            try store.saveBaseline(Self.baseline, activate: true, actor: "t")
            try store.commit(output, checkpoint: pipeline.checkpoint, source: "test")
        }
        let reopened = try AlertStore(path: path)
        #expect(try reopened.windowReports(model: "shop") == output.reports)
        // The source's progress and each model's open panes and alerts (kept per model).
        var restored = Pipeline(source: "test", monitors: [monitor], rules: ["shop": Rule.defaults])
        restored.restore(try reopened.checkpoint(source: "test"), models: try reopened.modelCheckpoints())
        #expect(restored.checkpoint == pipeline.checkpoint, "the open pane state survives exactly")
        #expect(try reopened.modelCheckpoints()["shop"]?.state.panes.isEmpty == false)
        #expect(try reopened.outboxCount() == output.transitions.filter(\.notifies).count)
        let firing = try reopened.alerts(state: "firing")
        #expect(firing.count == output.transitions.filter { $0.kind == .firing }.count)
        #expect(firing.allSatisfy { $0.startedWindow == 1 && $0.transitions.count == 1 })
    }
}
