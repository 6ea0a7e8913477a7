import DriftStats

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
        case categoryShareChange = "category_share_change"
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
    /// An extra, per-test bound on the p-value (on top of the model's multiple-testing
    /// policy, which every rule's test passes through).
    public var maximumPValue: Double?
    /// Features the rule applies to (all of its scope when empty).
    public var features: [String]
    /// `threshold: auto`: warn only above the largest value the statistic reached between
    /// pieces of the reference of one window each (never below `warn`); critical at twice
    /// that, or `critical` when higher.
    public var automaticThreshold = false
    public enum ThresholdSource: String, Sendable, Codable { case rule, reference }
    /// Set when the thresholds in effect came from the reference calibration.
    public var thresholdSource: ThresholdSource = .rule

    public init(name: String, metric: Metric, scope: Scope, comparator: Comparator = .above, warn: Double, critical: Double? = nil,
                forWindows: Int = 1, clear: Double? = nil, resolveAfter: Int = 2, maximumPValue: Double? = nil, features: [String] = [],
                automaticThreshold: Bool = false) {
        self.automaticThreshold = automaticThreshold
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

    /// driftd's defaults. Each is a floor on an effect size (what is worth a page), and a
    /// breach also needs the rule's test to be significant under the model's
    /// ``DecisionPolicy`` (what is more than sampling noise at this window's size). The warn
    /// floors sit where a quarter-sd mean shift, a 30 % change of spread, or a category's
    /// share moving by 5 points is a warning at 2,000-record windows (the share floor is 3
    /// points, so a 5-point move measured with its sampling error still clears it); criticals
    /// are for large effects.
    public static let defaults: [Rule] = [
        Rule(name: "psi", metric: .psi, scope: .all, warn: 0.1, critical: 0.2),
        Rule(name: "ks", metric: .ksStatistic, scope: .numeric, warn: 0.05, critical: 0.1),
        Rule(name: "category_shares", metric: .categoryShareChange, scope: .categorical, warn: 0.03, critical: 0.2),
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

/// How a model's window decides: every test of one window (features × rules, and the
/// model-level rules) is one family, corrected for multiple testing at `level`.
public struct DecisionPolicy: Sendable, Codable, Equatable {
    /// Family-wise error (Holm) or false-discovery rate (Benjamini–Hochberg) per window.
    /// 0.001: at most about one false alert per 1,000 model-windows, however many features.
    public var level: Double
    public var correction: MultipleTesting.Correction
    /// A firing alert counts a window as clear when the effect is below the rule's clear
    /// threshold or its test no longer shows any difference (p at or above this).
    public var clearPValue: Double
    /// Labelled records a window needs before its performance is judged.
    public var minimumLabels: Int

    public init(level: Double = 0.001, correction: MultipleTesting.Correction = .holm, clearPValue: Double = 0.05, minimumLabels: Int = 100) {
        self.level = level; self.correction = correction; self.clearPValue = clearPValue; self.minimumLabels = minimumLabels
    }
    public static let `default` = DecisionPolicy()
}

/// Why a rule decided what it decided in one window: the statistic, its test, the level
/// it was compared with after the correction, and the floor.
public struct Decision: Sendable, Codable, Equatable {
    public enum Verdict: String, Sendable, Codable {
        /// Significant after the correction and at or above the floor: a breach.
        case significant
        /// Significant, but the effect is below the rule's floor: not worth a page.
        case effectTooSmall = "effect_too_small"
        /// Not distinguishable from sampling noise at this window's size.
        case notSignificant = "not_significant"
        case insufficientData = "insufficient_data"
    }
    public var rule: String
    public var metric: Rule.Metric
    public var value: Double
    /// The rule's warn threshold: the smallest effect that can breach.
    public var floor: Double
    /// Where the floor came from: the rule as configured, or the reference's own pieces.
    public var floorSource: Rule.ThresholdSource? = nil
    /// The test behind the p-value (ks, chi_square_homogeneity, rate_increase, welch,
    /// poisson_rate).
    public var test: String?
    public var pValue: Double?
    /// The level the p-value was compared with (after Holm or Benjamini–Hochberg).
    public var level: Double?
    public var verdict: Verdict
    public var severity: AlertSeverity?
}

/// Applies rules to a window report: fills each feature's status and decisions, and lists
/// the findings for the alert book.
public enum Evaluator {
    struct Candidate {
        var feature: Int?   // nil: model level
        var rule: Rule
        var value: Double
        var test: String?
        var pValue: Double?
        var insufficient: Bool
    }

    public static func evaluate(_ report: inout WindowReport, rules: [Rule], policy: DecisionPolicy = .default,
                                calibration: ReferenceCalibration? = nil) -> [Finding] {
        var candidates: [Candidate] = []
        for i in report.features.indices {
            let feature = report.features[i]
            guard feature.status != .insufficientData else { continue }
            for configured in rules where configured.applies(to: feature) {
                var rule = configured
                if rule.automaticThreshold, let observed = calibration?.maximum(rule.metric, feature: feature.name), rule.comparator == .above {
                    rule.warn = Swift.max(rule.warn, observed)
                    rule.critical = Swift.max(rule.critical ?? 0, 2 * rule.warn)
                    rule.thresholdSource = .reference
                }
                guard let value = metric(rule, of: feature) else { continue }
                let (test, p) = significance(rule.metric, of: feature)
                candidates.append(Candidate(feature: i, rule: rule, value: value, test: test, pValue: p, insufficient: false))
            }
        }
        for rule in rules where rule.metric.isModelLevel && rule.scope == .model {
            guard let value = modelMetric(rule.metric, of: report) else { continue }
            let (test, p) = modelSignificance(rule.metric, of: report)
            let insufficient = rule.metric == .performanceDrop && report.labelled < Int64(policy.minimumLabels)
            candidates.append(Candidate(feature: nil, rule: rule, value: value, test: test, pValue: p, insufficient: insufficient))
        }
        // One family: every test of the window that can decide.
        let tested = candidates.indices.filter { !candidates[$0].insufficient }
        let outcomes = MultipleTesting.decide(tested.map { candidates[$0].pValue ?? 1 }, level: policy.level, correction: policy.correction)
        var outcomeOf: [Int: (level: Double, significant: Bool)] = [:]
        for (k, i) in tested.enumerated() { outcomeOf[i] = outcomes[k] }

        var findings: [Finding] = []
        var featureStatus = report.features.map { $0.status == .insufficientData ? FeatureStatus.insufficientData : .ok }
        var worst = FeatureStatus.ok
        for (i, c) in candidates.enumerated() {
            let effect = c.rule.severity(of: c.value)
            var verdict: Decision.Verdict
            var severity: AlertSeverity? = nil
            let outcome = outcomeOf[i]
            if c.insufficient {
                verdict = .insufficientData
            } else if outcome?.significant == true, c.rule.maximumPValue.map({ (c.pValue ?? 1) < $0 }) ?? true {
                verdict = effect == nil ? .effectTooSmall : .significant
                severity = effect
            } else {
                verdict = .notSignificant
            }
            let decision = Decision(rule: c.rule.name, metric: c.rule.metric, value: c.value, floor: c.rule.warn,
                                    floorSource: c.rule.thresholdSource, test: c.test,
                                    pValue: c.pValue, level: outcome?.level, verdict: verdict, severity: severity)
            let name = c.feature.map { report.features[$0].name } ?? ""
            let noDifference = c.pValue.map { !($0 < policy.clearPValue) } ?? false
            if !c.insufficient {
                findings.append(Finding(fingerprint: AlertFingerprint(model: report.model, feature: name, rule: c.rule.name),
                                        value: c.value, severity: severity, clear: c.rule.isClear(c.value) || noDifference))
            }
            let status: FeatureStatus = severity == .critical ? .critical : (severity == .warning ? .warn : .ok)
            if let f = c.feature {
                report.features[f].decisions = (report.features[f].decisions ?? []) + [decision]
                featureStatus[f] = Swift.max(featureStatus[f], status)
            } else {
                report.modelDecisions = (report.modelDecisions ?? []) + [decision]
            }
            worst = Swift.max(worst, status)
        }
        for f in report.features.indices {
            report.features[f].status = featureStatus[f]
            worst = Swift.max(worst, featureStatus[f] == .insufficientData ? .ok : featureStatus[f])
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
        case .categoryShareChange: return f.categorical?.maxShareChange
        case .missingRateIncrease:
            guard let rate = f.numeric?.missingRate ?? f.categorical?.missingRate else { return nil }
            return rate - f.baselineMissingRate
        case .typeErrorRate: return f.numeric?.typeErrorRate
        case .outsideRangeRate: return f.numeric?.outsideReferenceRangeRate
        case .volumeRatio, .performanceDrop: return nil
        }
    }

    /// The test that decides whether a feature's metric is more than sampling noise. A
    /// metric without a test of its own borrows the test of the same distributions
    /// (Wasserstein: KS), so nothing pages on a descriptive figure alone.
    static func significance(_ metric: Rule.Metric, of f: FeatureReport) -> (String?, Double?) {
        let homogeneity = "chi_square_homogeneity", rate = "rate_increase"
        switch metric {
        case .psi, .jensenShannon:
            return (homogeneity, f.numeric?.distributionTest?.pValue ?? f.categorical?.distributionTest?.pValue)
        case .categoryShareChange: return ("share_change", f.categorical?.shareChangePValue)
        case .ksStatistic, .wassersteinNormed: return ("ks", f.numeric?.ks?.pValue)
        case .meanShift: return ("welch", f.numeric?.meanShiftPValue)
        case .unseenRate: return (rate, f.categorical?.unseenIncreasePValue)
        case .missingRateIncrease: return (rate, f.numeric?.missingIncreasePValue ?? f.categorical?.missingIncreasePValue)
        case .typeErrorRate: return (rate, f.numeric?.typeErrorIncreasePValue)
        case .outsideRangeRate: return (rate, f.numeric?.outsideRangeIncreasePValue)
        case .volumeRatio, .performanceDrop: return (nil, nil)
        }
    }

    static func modelSignificance(_ metric: Rule.Metric, of r: WindowReport) -> (String?, Double?) {
        switch metric {
        case .volumeRatio: return ("poisson_rate", r.volumePValue)
        case .performanceDrop: return (r.performanceMetric == .meanAbsoluteError ? "welch" : "rate_increase", r.performancePValue)
        default: return (nil, nil)
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
