/// What the store prunes, one kind per `retention:` key.
public enum RetentionKind: String, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// Window reports, by their commit time (a count keeps the newest N per model).
    case windowReports = "window_reports"
    /// Resolved and cancelled alerts with everything hanging off them: transitions, outbox
    /// rows, deliveries, attempts, acknowledgements and notes.
    case resolvedAlerts = "resolved_alerts"
    /// Settled outbox rows of alerts that are not firing, with their deliveries and attempts
    /// (the alert and its transitions stay until `resolved_alerts` takes them).
    case deliveries
    /// Rejected records.
    case deadLetters = "dead_letters"
    /// Operator actions.
    case audit

    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
}

/// How long one kind is kept.
public enum Retention: Sendable, Equatable, CustomStringConvertible {
    /// Never pruned.
    case keep
    /// Rows committed more than this many seconds ago go (wall-clock commit time, not event
    /// time: a replay of last year's file is kept as long as a live stream).
    case age(seconds: Double)
    /// Only the newest N stay (for window reports: N per model).
    case newest(Int)

    public var description: String {
        switch self {
        case .keep: "keep"
        case .newest(let n): "newest \(n)"
        case .age(let s):
            if s >= 86_400, s.truncatingRemainder(dividingBy: 86_400) == 0 { "\(Int(s / 86_400))d" }
            else if s >= 3_600, s.truncatingRemainder(dividingBy: 3_600) == 0 { "\(Int(s / 3_600))h" }
            else if s >= 60, s.truncatingRemainder(dividingBy: 60) == 0 { "\(Int(s / 60))m" }
            else if s == s.rounded() { "\(Int(s))s" }
            else { "\(s)s" }
        }
    }
}

/// The `retention:` section: a retention per kind and how often the daemon prunes.
///
/// Defaults (the README's "Retention" says why): window reports 14 days, resolved alerts 90
/// days, deliveries 30 days, dead letters 7 days, the audit log kept; pruning every 10 minutes.
public struct RetentionPolicy: Sendable, Equatable {
    public var kinds: [RetentionKind: Retention]
    /// Seconds between two prunings of a running daemon.
    public var interval: Double
    /// No `route:` is configured, so nothing will ever send the outbox: its rows of alerts
    /// that ended do not hold those alerts back (they would otherwise be kept forever).
    public var nothingRoutes = false

    public static let defaultKinds: [RetentionKind: Retention] = [
        .windowReports: .age(seconds: 14 * 86_400),
        .resolvedAlerts: .age(seconds: 90 * 86_400),
        .deliveries: .age(seconds: 30 * 86_400),
        .deadLetters: .age(seconds: 7 * 86_400),
        .audit: .keep,
    ]
    public static let defaultInterval: Double = 600

    public static let `default` = RetentionPolicy(kinds: defaultKinds, interval: defaultInterval)
    /// Nothing is pruned.
    public static let keepEverything = RetentionPolicy(kinds: [:], interval: defaultInterval)

    public init(kinds: [RetentionKind: Retention] = RetentionPolicy.defaultKinds, interval: Double = RetentionPolicy.defaultInterval) {
        self.kinds = kinds
        self.interval = interval
    }

    public subscript(kind: RetentionKind) -> Retention { kinds[kind] ?? .keep }

    /// Whether anything is pruned at all.
    public var prunesAnything: Bool { kinds.values.contains { $0 != .keep } }
}

/// What the pruner tells a metrics sink: the rows each pruning removed, by kind (the
/// Prometheus registry implements it).
public protocol PruneObserver: Sendable {
    func observe(pruned report: PruneReport)
}
