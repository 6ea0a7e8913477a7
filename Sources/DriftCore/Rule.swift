/// A rule turns one metric of a window into a severity. Thresholds are on the metric's own
/// scale; `for` asks for that many consecutive breaching windows before an alert fires, and
/// the clear threshold with `resolveAfter` keeps an alert from flapping (hysteresis).
public struct Rule: Sendable, Codable, Equatable {
    public enum Metric: String, Sendable, Codable, CaseIterable {
        // per feature
        case psi, ksStatistic = "ks_statistic", jensenShannon = "jensen_shannon"
        case wassersteinNormed = "wasserstein_normed", meanShift = "mean_shift"
        case unseenRate = "unseen_rate", missingRateIncrease = "missing_rate_increase"
        case typeErrorRate = "type_error_rate", outsideRangeRate = "outside_range_rate"
        // per model
        case volumeRatio = "volume_ratio", performanceDrop = "performance_drop"

        public var isModelLevel: Bool { self == .volumeRatio || self == .performanceDrop }
    }

    public enum Comparator: String, Sendable, Codable { case above, below }
    public enum Scope: String, Sendable, Codable { case numeric, categorical, all, model }

    public var name: String
    public var metric: Metric
    public var scope: Scope
    public var comparator: Comparator
    public var warn: Double
    public var critical: Double?
    /// A breach must last this many consecutive windows before the alert fires.
    public var forWindows: Int
    /// The value must be back beyond this (below it for `above`) for `resolveAfter`
    /// consecutive windows to resolve; defaults to 80 % of `warn` (125 % for `below`).
    public var clear: Double?
    public var resolveAfter: Int
    /// For KS: the breach counts only when the p-value is below this (effect size first,
    /// significance second).
    public var maximumPValue: Double?
    /// Features the rule applies to (all of its scope when empty).
    public var features: [String]

    public init(name: String, metric: Metric, scope: Scope, comparator: Comparator = .above, warn: Double, critical: Double? = nil,
                forWindows: Int = 1, clear: Double? = nil, resolveAfter: Int = 2, maximumPValue: Double? = nil, features: [String] = []) {
        self.name = name; self.metric = metric; self.scope = scope; self.comparator = comparator
        self.warn = warn; self.critical = critical; self.forWindows = forWindows; self.clear = clear
        self.resolveAfter = resolveAfter; self.maximumPValue = maximumPValue; self.features = features
    }

    public var clearThreshold: Double { clear ?? (comparator == .above ? warn * 0.8 : warn * 1.25) }

    func breaches(_ value: Double, _ threshold: Double) -> Bool {
        comparator == .above ? value >= threshold : value <= threshold
    }

    /// Severity of a value (nil: no breach).
    public func severity(of value: Double) -> AlertSeverity? {
        if let critical, breaches(value, critical) { return .critical }
        return breaches(value, warn) ? .warning : nil
    }

    /// Whether a value is back on the healthy side of the clear threshold.
    public func isClear(_ value: Double) -> Bool {
        comparator == .above ? value < clearThreshold : value > clearThreshold
    }

    public func applies(to feature: FeatureReport) -> Bool {
        guard !metric.isModelLevel else { return false }
        switch scope {
        case .numeric: guard feature.kind == .numeric else { return false }
        case .categorical: guard feature.kind == .categorical else { return false }
        case .all: break
        case .model: return false
        }
        return features.isEmpty || features.contains(feature.name)
    }

    /// driftd's defaults, effect size first: a large, healthy stream pages nobody. PSI and
    /// KS D thresholds sit far above the sampling noise of windows of a few thousand values;
    /// a KS breach also needs p < 0.01.
    public static let defaults: [Rule] = [
        Rule(name: "psi", metric: .psi, scope: .all, warn: 0.1, critical: 0.2),
        Rule(name: "ks", metric: .ksStatistic, scope: .numeric, warn: 0.05, critical: 0.1, maximumPValue: 0.01),
        Rule(name: "unseen_categories", metric: .unseenRate, scope: .categorical, warn: 0.05, critical: 0.2),
        Rule(name: "missing_values", metric: .missingRateIncrease, scope: .all, warn: 0.05, critical: 0.2),
        Rule(name: "type_errors", metric: .typeErrorRate, scope: .all, warn: 0.01, critical: 0.1),
        Rule(name: "volume", metric: .volumeRatio, scope: .model, comparator: .below, warn: 0.5, critical: 0.1),
        Rule(name: "performance", metric: .performanceDrop, scope: .model, warn: 0.05, critical: 0.1),
    ]
}

public enum AlertSeverity: String, Sendable, Codable, Comparable {
    case warning, critical
    public static func < (a: AlertSeverity, b: AlertSeverity) -> Bool { a == .warning && b == .critical }
}

/// The value of one rule for one feature (or the model) in one window.
public struct Finding: Sendable, Codable, Equatable {
    public var fingerprint: AlertFingerprint
    public var value: Double
    public var severity: AlertSeverity?
    public var clear: Bool
}

public struct AlertFingerprint: Sendable, Codable, Hashable, Comparable, CustomStringConvertible {
    public var model: String
    /// The feature, or "" for a model-level rule.
    public var feature: String
    public var rule: String
    public init(model: String, feature: String, rule: String) { self.model = model; self.feature = feature; self.rule = rule }
    public var description: String { "\(model)/\(feature.isEmpty ? "-" : feature)/\(rule)" }
    public static func < (a: AlertFingerprint, b: AlertFingerprint) -> Bool { a.description < b.description }
}

/// Applies rules to a window report: fills each feature's status and lists the findings.
public enum Evaluator {
    public static func evaluate(_ report: inout WindowReport, rules: [Rule]) -> [Finding] {
        var findings: [Finding] = []
        var worst = FeatureStatus.ok
        for i in report.features.indices {
            let feature = report.features[i]
            guard feature.status != .insufficientData else { continue }
            var status = FeatureStatus.ok
            for rule in rules where rule.applies(to: feature) {
                guard let value = metric(rule, of: feature) else { continue }
                var severity = rule.severity(of: value)
                if severity != nil, let maxP = rule.maximumPValue, let p = feature.numeric?.ks?.pValue, !(p < maxP) { severity = nil }
                findings.append(Finding(fingerprint: AlertFingerprint(model: report.model, feature: feature.name, rule: rule.name),
                                        value: value, severity: severity, clear: rule.isClear(value)))
                status = Swift.max(status, severity == .critical ? .critical : (severity == .warning ? .warn : .ok))
            }
            report.features[i].status = status
            worst = Swift.max(worst, status)
        }
        for rule in rules where rule.metric.isModelLevel && rule.scope == .model {
            guard let value = modelMetric(rule.metric, of: report) else { continue }
            let severity = rule.severity(of: value)
            findings.append(Finding(fingerprint: AlertFingerprint(model: report.model, feature: "", rule: rule.name),
                                    value: value, severity: severity, clear: rule.isClear(value)))
            worst = Swift.max(worst, severity == .critical ? .critical : (severity == .warning ? .warn : .ok))
        }
        report.status = worst
        return findings
    }

    static func metric(_ rule: Rule, of f: FeatureReport) -> Double? {
        switch rule.metric {
        case .psi: return f.numeric?.psi ?? f.categorical?.psi
        case .ksStatistic: return f.numeric?.ks?.statistic
        case .jensenShannon: return f.numeric?.jensenShannon ?? f.categorical?.jensenShannon
        case .wassersteinNormed: return f.numeric?.wassersteinNormed
        case .meanShift: return f.numeric?.meanShift.map(Swift.abs)
        case .unseenRate: return f.categorical?.unseenRate
        case .missingRateIncrease:
            guard let rate = f.numeric?.missingRate ?? f.categorical?.missingRate else { return nil }
            return rate - f.baselineMissingRate
        case .typeErrorRate: return f.numeric?.typeErrorRate
        case .outsideRangeRate: return f.numeric?.outsideReferenceRangeRate
        case .volumeRatio, .performanceDrop: return nil
        }
    }

    static func modelMetric(_ metric: Rule.Metric, of r: WindowReport) -> Double? {
        switch metric {
        case .volumeRatio: return r.volumeRatio
        case .performanceDrop:
            guard let now = r.performance, let then = r.baselinePerformance, r.labelled > 0, let kind = r.performanceMetric else { return nil }
            // Accuracy drops by falling; mean absolute error by rising (relative to baseline).
            return kind == .accuracy ? then - now : (now - then) / Swift.max(then, 1e-12)
        default: return nil
        }
    }
}
