@testable import DriftDaemon
import DriftCore
import DriftHTTP
import DriftStore
import DriftTestTraits
import DriftTesting
import Foundation
import GRDB
import Testing

/// The daemon's pruner: prunes at start on its own thread with the injected clock, logs and
/// counts what it pruned, stops while waiting for its next run, and explains once a store
/// that cannot shrink.
@Suite("Store pruner", .offThePool)
struct StorePrunerTests {
    static let t0 = 1_800_000_000.0

    static func reports(_ count: Int) -> [WindowReport] {
        let monitor = ModelMonitor(baseline: SyntheticStream(seed: 3).baseline(records: 500),
                                   configuration: WindowConfiguration(basis: .count, size: 100, minimumSamples: 10))
        var pipeline = Pipeline(source: "r", monitors: [monitor], rules: [:])
        for (i, r) in SyntheticStream(seed: 4).records(100 * count).enumerated() {
            Array(r.utf8).withUnsafeBufferPointer { pipeline.ingest($0, position: SourcePosition(partition: 0, offset: Int64(i))) }
        }
        pipeline.flush(now: 0)
        return pipeline.takeOutput().reports
    }

    @Test("prunes at start with its clock, logs and counts what it pruned, and stops while it waits")
    func prunesAndStops() throws {
        let dir = try TemporaryDirectory()
        let store = try AlertStore(path: dir.url.appendingPathComponent("s.sqlite").path)
        var output = Transitions.output([])
        output.reports = Self.reports(4)
        try store.commit(output, checkpoint: Transitions.checkpoint, source: "t", now: Self.t0)
        let lines = CapturedLog()
        var options = PrunerOptions()
        options.clock = { Self.t0 + 20 * 86_400 }
        options.logger = lines.logger
        let metrics = DriftMetrics()
        options.metrics = metrics
        let pruner = try #require(StorePruner.start(store: store, policy: RetentionPolicy(interval: 3_600), options: options))
        let deadline = Date().addingTimeInterval(120)
        while pruner.completedRuns < 1 && Date() < deadline { usleep(10_000) }
        pruner.stop()  // returns although the next run is an hour away
        #expect(pruner.completedRuns == 1)
        #expect(lines.all.count == 1 && lines.all[0].hasPrefix("pruned 3 window reports past their retention"), "\(lines.all)")
        #expect(try store.windowReports(model: "shop") == [output.reports[3]])
        let text = metrics.exposition()
        #expect(text.contains("driftd_store_pruned_rows_total{kind=\"window_reports\"} 3"), "\(text)")
        #expect(StorePruner.start(store: store, policy: .keepEverything, options: options) == nil, "nothing to prune: no thread")
    }

    @Test("a store created before incremental auto_vacuum is explained once, with the remedy")
    func explainsOldStores() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("old.sqlite").path
        // A driftd store begun before incremental auto_vacuum: GRDB's migration table first,
        // so the file had a table (and auto_vacuum NONE) before driftd's schema went in.
        try DatabaseQueue(path: path).write { db in try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)") }
        let lines = CapturedLog()
        StorePruner.explainVacuum(store: try AlertStore(path: path), logger: lines.logger)
        StorePruner.explainVacuum(store: try AlertStore(path: dir.url.appendingPathComponent("new.sqlite").path), logger: lines.logger)
        #expect(lines.all.count == 1)
        #expect(lines.all.first?.contains("pruned pages are reused for new rows") == true)
        #expect(lines.all.first?.contains("sqlite3 \(path) 'PRAGMA auto_vacuum = INCREMENTAL; VACUUM;'") == true)
    }
}
