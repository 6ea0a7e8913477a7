import DriftCore
import DriftHTTP
import DriftNotify
import DriftStats
import DriftStore
import DriftTestTraits
import DriftTesting
import Foundation
import Testing

/// The metrics the daemon feeds once per commit point, as a scraper reads them.
@Suite("Prometheus metrics", .serialized, .offThePool)
struct DriftMetricsTests {
    /// The value of one sample line (`name{labels} value`), or nil when absent.
    static func sample(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// Event-time windows of 10 s over the synthetic stream (one record per 100 ms).
    static func eventTimeOutput() throws -> (PipelineOutput, PipelineCounters) {
        let baseline = SyntheticStream(seed: 3).baseline(records: 2000)
        let window = WindowConfiguration(basis: .eventTime, size: 10_000, minimumSamples: 10)
        var pipeline = Pipeline(source: "t", monitors: [ModelMonitor(baseline: baseline, configuration: window)], rules: ["shop": Rule.defaults])
        for (i, r) in SyntheticStream(seed: 4).records(450).enumerated() {
            var bytes = Array(r.utf8)
            bytes.withUnsafeMutableBufferPointer { pipeline.ingest(UnsafeBufferPointer($0), position: SourcePosition(partition: 0, offset: Int64(i + 1))) }
        }
        pipeline.flush(now: 0)
        return (pipeline.takeOutput(), pipeline.checkpoint.counters)
    }

    @Test("under serve, each stored report counts once, and the counter keeps counting after retention prunes old reports")
    func storedWindowsThroughPruning() throws {
        let filled = try FilledStore()
        let stored = filled.output.reports.count
        #expect(stored == 6)
        let metrics = DriftMetrics(readsWindowsFromStore: true)
        try filled.store.snapshot { try metrics.observe(storedWindowsOf: $0) }
        try filled.store.snapshot { try metrics.observe(storedWindowsOf: $0) }
        #expect(Self.sample(metrics.exposition(), "driftd_windows_closed_total{model=\"shop\"}") == Double(stored), "a second scrape counts nothing again")
        // Retention keeps the newest report: five go, the counter does not fall or stall.
        let pruned = try filled.store.prune(policy: RetentionPolicy(kinds: [.windowReports: .newest(1)]))
        #expect(pruned.rows[.windowReports] == stored - 1)
        try filled.store.snapshot { try metrics.observe(storedWindowsOf: $0) }
        #expect(Self.sample(metrics.exposition(), "driftd_windows_closed_total{model=\"shop\"}") == Double(stored))
        // Two more windows after the pruning count at once.
        var more = filled.output
        more.transitions = []; more.deadLetters = []
        more.reports = Array(filled.output.reports.suffix(2)).map { var r = $0; r.windowIndex += 100; return r }
        try filled.store.commit(more, checkpoint: try #require(try filled.store.checkpoint(source: "test")), source: "test")
        try filled.store.snapshot { try metrics.observe(storedWindowsOf: $0) }
        #expect(Self.sample(metrics.exposition(), "driftd_windows_closed_total{model=\"shop\"}") == Double(stored + 2))
    }

    @Test("a commit point's records, windows, transitions and latest PSI / KS D reach the metrics")
    func commitPoint() throws {
        let filled = try FilledStore()
        let metrics = DriftMetrics()
        var counters = PipelineCounters()
        counters.records = 3001; counters.decoded = 3000; counters.rejected = 1; counters.windowsClosed = 6
        metrics.observe(committed: filled.output, counters: counters)
        var text = metrics.exposition()
        #expect(Self.sample(text, "driftd_records_total") == 3001)
        #expect(Self.sample(text, "driftd_records_rejected_total") == 1)
        #expect(Self.sample(text, "driftd_windows_closed_total{model=\"shop\"}") == Double(filled.output.reports.count))
        let last = try #require(filled.output.reports.last)
        let amount = try #require(last.features.first { $0.name == "amount" }?.numeric)
        #expect(Self.sample(text, "driftd_feature_psi{model=\"shop\",feature=\"amount\"}") == amount.psi)
        #expect(Self.sample(text, "driftd_feature_ks_statistic{model=\"shop\",feature=\"amount\"}") == amount.ks?.statistic)
        #expect(Self.sample(text, "driftd_feature_ks_statistic{model=\"shop\",feature=\"channel\"}") == nil, "no KS for a categorical feature")
        let channel = try #require(last.features.first { $0.name == "channel" }?.categorical)
        #expect(Self.sample(text, "driftd_feature_psi{model=\"shop\",feature=\"channel\"}") == channel.psi)
        let firings = filled.output.transitions.filter { $0.kind == .firing && $0.severity == .critical }.count
        #expect(firings > 0)
        #expect(Self.sample(text, "driftd_alert_transitions_total{kind=\"firing\",severity=\"critical\"}") == Double(firings))

        // The next commit point counts only what is new since the last.
        counters.records = 3501
        var idle = Pipeline(source: "t", monitors: [], rules: [:])
        metrics.observe(committed: idle.takeOutput(), counters: counters)
        text = metrics.exposition()
        #expect(Self.sample(text, "driftd_records_total") == 3501)
        #expect(Self.sample(text, "driftd_records_rejected_total") == 1)
        #expect(Self.sample(text, "driftd_commits_total") == 2)
    }

    @Test("window-close latency runs from an event-time window's end to the commit")
    func windowCloseLatency() throws {
        let (output, counters) = try Self.eventTimeOutput()
        let ends = output.reports.map(\.end)
        #expect(ends.count == 4)
        let metrics = DriftMetrics()
        // Committed 2.5 s after the last window's end: the others ended 10, 20, 30 s earlier.
        metrics.observe(committed: output, counters: counters, at: Date(timeIntervalSince1970: Double(ends.last!) / 1000 + 2.5))
        let text = metrics.exposition()
        #expect(Self.sample(text, "driftd_window_close_seconds_bucket{le=\"2.0\"}") == 0)
        #expect(Self.sample(text, "driftd_window_close_seconds_bucket{le=\"5.0\"}") == 1)
        #expect(Self.sample(text, "driftd_window_close_seconds_bucket{le=\"30.0\"}") == 3)
        #expect(Self.sample(text, "driftd_window_close_seconds_bucket{le=\"60.0\"}") == 4)
        #expect(Self.sample(text, "driftd_window_close_seconds_count") == 4)
        #expect(Self.sample(text, "driftd_window_close_seconds_sum") == 2.5 + 12.5 + 22.5 + 32.5)
    }

    @Test("before any event every metric the README names has its HELP and TYPE lines")
    func documentedFromTheStart() throws {
        let readme = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let documented = Set(readme.matches(of: /driftd_[a-z_]+/).map { String($0.output) })
        #expect(documented.count >= 10, "the README lists the metrics: \(documented)")
        let text = DriftMetrics().exposition()
        for name in documented.sorted() {
            #expect(text.contains("# HELP \(name) ") && text.contains("# TYPE \(name) "), "\(name) is not described before its first event")
        }
    }

    @Test("label sets are bounded: past the limit new series are dropped and counted")
    func boundedLabels() throws {
        let filled = try FilledStore()
        let metrics = DriftMetrics(maximumSeries: 2)
        metrics.observe(committed: filled.output, counters: PipelineCounters())
        metrics.observe(consumerLag: ["inference/0": 5, "inference/1": 7, "inference/2": 9])
        let text = metrics.exposition()
        let psiSeries = text.split(separator: "\n").filter { $0.hasPrefix("driftd_feature_psi{") }
        #expect(psiSeries.count == 2)
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("driftd_consumer_lag_records{") }.count == 2)
        #expect((Self.sample(text, "driftd_metrics_series_dropped_total") ?? 0) > 0)
    }

    @Test("alerts by state and severity, consumer lag and deliveries by receiver")
    func gaugesAndDeliveries() throws {
        let metrics = DriftMetrics()
        var text = metrics.exposition()
        #expect(Self.sample(text, "driftd_alerts{state=\"firing\",severity=\"critical\"}") == 0, "zero before any alert, not absent")
        metrics.observe(alertCounts: [AlertCount(state: "firing", severity: "critical", count: 3),
                                      AlertCount(state: "resolved", severity: nil, count: 2),
                                      // Resolved alerts keep their last severity in the store.
                                      AlertCount(state: "resolved", severity: "warning", count: 5)])
        metrics.observe(consumerLag: ["inference/0": 120, "inference/1": -4])
        metrics.observe(delivery: "pagerduty", outcome: .retry)
        metrics.observe(delivery: "pagerduty", outcome: .delivered)
        metrics.observe(delivery: "slack", outcome: .failed)
        text = metrics.exposition()
        #expect(Self.sample(text, "driftd_alerts{state=\"firing\",severity=\"critical\"}") == 3)
        #expect(Self.sample(text, "driftd_alerts{state=\"resolved\",severity=\"none\"}") == 7)
        #expect(Self.sample(text, "driftd_alerts{state=\"firing\",severity=\"warning\"}") == 0)
        #expect(Self.sample(text, "driftd_consumer_lag_records{partition=\"inference/0\"}") == 120)
        #expect(Self.sample(text, "driftd_consumer_lag_records{partition=\"inference/1\"}") == 0)
        #expect(Self.sample(text, "driftd_delivery_attempts_total{receiver=\"pagerduty\"}") == 2)
        #expect(Self.sample(text, "driftd_deliveries_total{receiver=\"pagerduty\"}") == 1)
        #expect(Self.sample(text, "driftd_delivery_failures_total{receiver=\"slack\"}") == 1)
        #expect(Self.sample(text, "driftd_deliveries_total{receiver=\"slack\"}") == nil)
    }

    @Test("pruned rows are counted by kind from the first pruning on; a dry run counts nothing")
    func prunedRows() throws {
        let metrics = DriftMetrics()
        #expect(Self.sample(metrics.exposition(), "driftd_store_pruned_rows_total{kind=\"window_reports\"}") == nil)
        var report = PruneReport()
        report.rows = [.windowReports: 1_200, .resolvedAlerts: 17]
        metrics.observe(pruned: report)
        metrics.observe(pruned: report)
        var dry = report
        dry.dryRun = true
        metrics.observe(pruned: dry)
        let text = metrics.exposition()
        #expect(Self.sample(text, "driftd_store_pruned_rows_total{kind=\"window_reports\"}") == 2_400)
        #expect(Self.sample(text, "driftd_store_pruned_rows_total{kind=\"resolved_alerts\"}") == 34)
        #expect(Self.sample(text, "driftd_store_pruned_rows_total{kind=\"audit\"}") == 0, "every kind has its series, zero included")
    }

    @Test("/metrics serves the text format, with alerts counted from the store at scrape time")
    func scrape() async throws {
        let filled = try FilledStore()
        let firing = try filled.store.alerts(state: "firing")
        let critical = firing.filter { $0.severity == "critical" }.count
        try await RouterClient.serving(filled.store, settings: APISettings(), metrics: DriftMetrics()) { client in
            let x = try await client.get("/metrics")
            #expect(x.status == 200)
            #expect(x.contentType.hasPrefix("text/plain; version=0.0.4"))
            #expect(Self.sample(x.body, "driftd_alerts{state=\"firing\",severity=\"critical\"}") == Double(critical))
            #expect(Self.sample(x.body, "driftd_alerts{state=\"firing\",severity=\"warning\"}") == Double(firing.count - critical))
        }
    }

    static var promtool: String? {
        ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test("promtool check metrics accepts a real scrape", .enabled(if: promtool != nil, "promtool is not installed (Debian package prometheus; scripts/check-metrics installs it)"))
    func promtoolAcceptsTheScrape() throws {
        let filled = try FilledStore()
        let metrics = DriftMetrics()
        let (eventOutput, eventCounters) = try Self.eventTimeOutput()
        metrics.observe(committed: filled.output, counters: PipelineCounters())
        metrics.observe(committed: eventOutput, counters: eventCounters)
        metrics.observe(alertCounts: try filled.store.alertCounts())
        metrics.observe(consumerLag: ["inference/0": 3])
        metrics.observe(delivery: "webhook", outcome: .failed)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.promtool!)
        process.arguments = ["check", "metrics"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(metrics.exposition().utf8))
        try input.fileHandleForWriting.close()
        let said = String(decoding: PipeReading.readToEnd(output.fileHandleForReading), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "promtool: \(said)")
        #expect(said.isEmpty, "no lint problems: \(said)")
    }
}
