import DriftCore
import DriftNotify
import DriftStats
import Foundation
import Prometheus

/// driftd's Prometheus metrics. The daemon loop calls ``observe(committed:counters:)`` (the ``PipelineObserver`` port)
/// once per commit point (never per record), so the hot path pays nothing; `/metrics` renders
/// ``exposition()``. Label sets are bounded: models and features come from window reports
/// (hence from baselines), partitions and receivers from the configuration, and each family
/// stops taking new label values at ``maximumSeries``, counting what it dropped in
/// `driftd_metrics_series_dropped_total`.
///
/// `factory` exposes the same registry to swift-metrics, for `MetricsSystem.bootstrap` in `main`.
///
/// `@unchecked`: its label bookkeeping is guarded by one `NSLock`, taken by every method; the
/// registry's metrics are Sendable themselves.
public final class DriftMetrics: PipelineObserver, DeliveryObserver, PruneObserver, @unchecked Sendable {
    public let registry: PrometheusCollectorRegistry
    public let maximumSeries: Int
    public var factory: PrometheusMetricsFactory { PrometheusMetricsFactory(registry: registry) }

    private let lock = NSLock()
    private var lastCounters = PipelineCounters()
    private var series: [String: Set<[String]>] = [:]
    private var counters: [String: Counter] = [:]
    private var gauges: [String: Gauge] = [:]
    /// The last window report row already counted from the store (`driftd serve`).
    private var storedWindowsThrough: Int64 = 0
    /// Whether the process has no pipeline and reads window metrics from the store at each
    /// scrape (`driftd serve`); a daemon counts its own commits instead.
    public let readsWindowsFromStore: Bool

    private let records: Counter, rejected: Counter, skewed: Counter, unmonitored: Counter, commits: Counter, dropped: Counter
    private let windowClose: ValueHistogram

    /// Window-close latency buckets, in seconds: from the window's end (event time) to the
    /// commit of its report, which includes the allowed lateness.
    public static let windowCloseBuckets: [Double] = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), maximumSeries: Int = 2000,
                readsWindowsFromStore: Bool = false) {
        self.registry = registry
        self.readsWindowsFromStore = readsWindowsFromStore
        self.maximumSeries = maximumSeries
        records = registry.makeCounter(descriptor: Self.descriptor("driftd_records_total", "Records consumed from the sources (every record read, decoded or not)."))
        rejected = registry.makeCounter(descriptor: Self.descriptor("driftd_records_rejected_total", "Records rejected as malformed and stored as dead letters."))
        skewed = registry.makeCounter(descriptor: Self.descriptor("driftd_records_skewed_total", "Records rejected because their timestamp jumped far from their model's stream or ran ahead of the wall clock (also in rejected)."))
        unmonitored = registry.makeCounter(descriptor: Self.descriptor("driftd_records_unmonitored_total", "Records of models driftd does not monitor."))
        commits = registry.makeCounter(descriptor: Self.descriptor("driftd_commits_total", "Commit points written to the store."))
        dropped = registry.makeCounter(descriptor: Self.descriptor("driftd_metrics_series_dropped_total", "Label values not exported because a metric family reached its series limit."))
        windowClose = registry.makeValueHistogram(descriptor: Self.descriptor("driftd_window_close_seconds", "Seconds from an event-time window's end to the commit of its report."), buckets: Self.windowCloseBuckets)
        // Every state/severity pair exists from the start, so a scrape never misses a zero.
        for (state, severity) in Self.alertLabelPairs {
            _ = gauge(Family.alerts, [state, severity])
        }
    }

    enum Family {
        static let late = ("driftd_records_late_total", ["model"], "Records that arrived after their window had closed, by model.")
        static let windows = ("driftd_windows_closed_total", ["model"], "Windows closed and reported, by model.")
        static let transitions = ("driftd_alert_transitions_total", ["kind", "severity"], "Alert transitions stored, by kind and severity.")
        static let alerts = ("driftd_alerts", ["state", "severity"], "Alerts in the store by state and severity (severity none for resolved ones).")
        static let psi = ("driftd_feature_psi", ["model", "feature"], "PSI of the feature in the model's latest window.")
        static let ks = ("driftd_feature_ks_statistic", ["model", "feature"], "KS D of the numeric feature in the model's latest window.")
        static let lag = ("driftd_consumer_lag_records", ["partition"], "Records behind the end of each assigned partition (topic/partition).")
        static let deliveries = ("driftd_deliveries_total", ["receiver"], "Notifications delivered, by receiver.")
        static let failures = ("driftd_delivery_failures_total", ["receiver"], "Notification deliveries that failed for good, by receiver.")
        static let attempts = ("driftd_delivery_attempts_total", ["receiver"], "Delivery attempts (including retries), by receiver.")
        static let storeErrors = ("driftd_store_errors_total", ["kind"], "Store writes that failed, by kind (disk_full, read_only, io_error, busy, ...); the daemon retries those that pass.")
        static let pruned = ("driftd_store_pruned_rows_total", ["kind"], "Rows pruned from the store past their retention, by kind (every table of the kind counted).")

        /// Every labelled family with its Prometheus type.
        static let labelled: [(String, String, String)] = [
            (late.0, late.2, "counter"), (windows.0, windows.2, "counter"), (transitions.0, transitions.2, "counter"),
            (alerts.0, alerts.2, "gauge"), (psi.0, psi.2, "gauge"), (ks.0, ks.2, "gauge"), (lag.0, lag.2, "gauge"),
            (deliveries.0, deliveries.2, "counter"), (failures.0, failures.2, "counter"), (attempts.0, attempts.2, "counter"),
            (storeErrors.0, storeErrors.2, "counter"),
            (pruned.0, pruned.2, "counter"),
        ]
    }

    static let alertLabelPairs: [(String, String)] = [
        ("pending", "warning"), ("pending", "critical"), ("firing", "warning"), ("firing", "critical"), ("resolved", "none"),
    ]

    // MARK: observations

    /// One commit point: what it stored and the pipeline's counters after it. Counters are
    /// cumulative in the pipeline (and checkpointed), so the metric counts continue across
    /// restarts from the first observation on.
    public func observe(committed output: PipelineOutput, counters: PipelineCounters) {
        observe(committed: output, counters: counters, at: Date())
    }

    public func observe(committed output: PipelineOutput, counters now: PipelineCounters, at date: Date) {
        lock.lock(); defer { lock.unlock() }
        let last = lastCounters
        lastCounters = now
        if now.records >= last.records { records.increment(by: now.records - last.records) }
        if now.rejected >= last.rejected { rejected.increment(by: now.rejected - last.rejected) }
        if now.unmonitored >= last.unmonitored { unmonitored.increment(by: now.unmonitored - last.unmonitored) }
        if now.skewed >= last.skewed { skewed.increment(by: now.skewed - last.skewed) }
        commits.increment()
        let nowMilliseconds = date.timeIntervalSince1970 * 1000
        for r in output.reports {
            counter(Family.windows, [r.model])?.increment()
            if r.lateRecords > 0 { counter(Family.late, [r.model])?.increment(by: r.lateRecords) }
            if r.basis == .eventTime { windowClose.record(Swift.max(0, nowMilliseconds - Double(r.end)) / 1000) }
            setDriftGauges(r)
        }
        for t in output.transitions {
            counter(Family.transitions, [t.kind.rawValue, t.severity?.rawValue ?? "none"])?.increment()
        }
    }

    /// `driftd serve`, where no pipeline feeds the metrics: the windows each model has in the
    /// store and the drift figures of its latest window, read at every scrape.
    /// Each scrape reads the reports past the last row counted, so windows are counted once
    /// and pruning old reports never makes the counter stall or fall.
    public func observe(storedWindowsOf store: any OperatorSnapshot) throws {
        let through = lock.withLock { storedWindowsThrough }
        let summaries = try store.windowSummaries(newerThan: through)
        lock.lock(); defer { lock.unlock() }
        // A scrape that overlapped another and read the same rows counts nothing twice.
        guard through == storedWindowsThrough else { return }
        for s in summaries {
            counter(Family.windows, [s.model])?.increment(by: s.windows)
            setDriftGauges(s.latest)
            storedWindowsThrough = Swift.max(storedWindowsThrough, s.lastID)
        }
    }

    private func setDriftGauges(_ r: WindowReport) {
        for f in r.features where f.status != .insufficientData {
            if let psi = f.numeric?.psi ?? f.categorical?.psi, psi.isFinite { gauge(Family.psi, [r.model, f.name])?.set(psi) }
            if let d = f.numeric?.ks?.statistic, d.isFinite { gauge(Family.ks, [r.model, f.name])?.set(d) }
        }
    }

    /// Alerts in the store by state and severity (the server refreshes this on every scrape).
    public func observe(alertCounts: [AlertCount]) {
        lock.lock(); defer { lock.unlock() }
        var values: [String: Int] = [:]
        // Resolved alerts keep the severity they had; the family counts them all under "none".
        for c in alertCounts { values["\(c.state)/\(c.state == "resolved" ? "none" : c.severity ?? "none")", default: 0] += c.count }
        for (state, severity) in Self.alertLabelPairs { gauge(Family.alerts, [state, severity])?.set(Double(values["\(state)/\(severity)"] ?? 0)) }
    }

    /// Records behind the high watermark per assigned partition, keyed "topic/partition".
    public func observe(consumerLag: [String: Int64]) {
        lock.lock(); defer { lock.unlock() }
        for (partition, lag) in consumerLag { gauge(Family.lag, [partition])?.set(Double(Swift.max(0, lag))) }
        // A partition this process no longer holds is another member's to report: its series goes.
        for values in series[Family.lag.0, default: []] where consumerLag[values[0]] == nil {
            let k = key(Family.lag.0, values)
            if let g = gauges.removeValue(forKey: k) { registry.unregisterGauge(g) }
            series[Family.lag.0]?.remove(values)
        }
    }

    /// A store write that failed, by its kind (`StoreError.Kind` raw value).
    public func observe(storeError kind: String) {
        lock.lock(); defer { lock.unlock() }
        counter(Family.storeErrors, [kind])?.increment()
    }

    /// One pruning of the store: the rows it deleted, by kind. Every kind's series exists
    /// from the first pruning on, so a scrape sees a zero rather than nothing.
    public func observe(pruned report: PruneReport) {
        guard !report.dryRun else { return }
        lock.lock(); defer { lock.unlock() }
        for kind in RetentionKind.allCases { counter(Family.pruned, [kind.rawValue])?.increment(by: Int64(report.rows[kind] ?? 0)) }
    }


    /// One delivery attempt to a configured receiver and how it ended.
    public func observe(delivery receiver: String, outcome: DeliveryAttemptEnd) {
        lock.lock(); defer { lock.unlock() }
        counter(Family.attempts, [receiver])?.increment()
        switch outcome {
        case .delivered: counter(Family.deliveries, [receiver])?.increment()
        case .failed: counter(Family.failures, [receiver])?.increment()
        case .retry: break
        }
    }

    /// The Prometheus text exposition format (version 0.0.4). Labelled families with no
    /// series yet (no late record, no delivery) still say what they are, with HELP and TYPE
    /// lines, so a scrape before the first event documents every metric.
    public func exposition() -> String {
        var text = registry.emitToString()
        for (name, help, type) in Family.labelled where !text.contains("# TYPE \(name) ") {
            if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        return text
    }

    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    // MARK: bounded families (call with the lock held)

    private func admit(_ name: String, _ values: [String]) -> Bool {
        if series[name, default: []].contains(values) { return true }
        guard series[name, default: []].count < maximumSeries else { dropped.increment(); return false }
        series[name, default: []].insert(values)
        return true
    }

    /// A full metric name with its help text (the name is given whole, unit suffix included).
    static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    private func key(_ name: String, _ values: [String]) -> String { ([name] + values).joined(separator: "\u{1F}") }

    private func counter(_ family: (String, [String], String), _ values: [String]) -> Counter? {
        guard admit(family.0, values) else { return nil }
        let k = key(family.0, values)
        if let c = counters[k] { return c }
        let c = registry.makeCounter(descriptor: Self.descriptor(family.0, family.2), labels: Array(zip(family.1, values)))
        counters[k] = c
        return c
    }

    private func gauge(_ family: (String, [String], String), _ values: [String]) -> Gauge? {
        guard admit(family.0, values) else { return nil }
        let k = key(family.0, values)
        if let g = gauges[k] { return g }
        let g = registry.makeGauge(descriptor: Self.descriptor(family.0, family.2), labels: Array(zip(family.1, values)))
        gauges[k] = g
        return g
    }
}
