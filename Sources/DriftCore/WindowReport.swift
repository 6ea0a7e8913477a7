import DriftStats

/// Status of one feature (or model-level signal) in a window, after the rules.
public enum FeatureStatus: String, Sendable, Codable, Comparable {
    case ok, warn, critical
    case insufficientData = "insufficient_data"

    private var rank: Int { switch self { case .insufficientData: 0; case .ok: 1; case .warn: 2; case .critical: 3 } }
    public static func < (a: FeatureStatus, b: FeatureStatus) -> Bool { a.rank < b.rank }
}

/// One feature's statistics in a closed window, compared with the baseline.
public struct FeatureReport: Sendable, Codable, Equatable {
    public var name: String
    public var kind: FeatureKind
    public var numeric: NumericDriftStatistics?
    public var categorical: CategoricalDriftStatistics?
    /// The feature's missing rate in the baseline, for the missing-rate change.
    public var baselineMissingRate: Double
    public var status: FeatureStatus
    /// Each rule's decision for this feature in this window, with its reason.
    public var decisions: [Decision]? = nil
}

/// Everything driftd knows about one closed window of one model.
public struct WindowReport: Sendable, Codable, Equatable {
    public var model: String
    public var windowIndex: Int64
    public var basis: WindowConfiguration.Basis
    /// Window bounds: record sequence numbers [start, end) or event time in ms.
    public var start: Int64
    public var end: Int64
    /// Event times of the window's records (ms), when they had any.
    public var firstEventTime: Int64?
    public var lastEventTime: Int64?
    public var recordCount: Int64
    /// Records that arrived after their window had closed, counted in this window's time.
    public var lateRecords: Int64
    public var baselineVersion: String
    /// Records expected from the baseline's rate (event-time windows), and count / expected.
    public var expectedRecords: Double?
    public var volumeRatio: Double?
    /// The share of the window the model's stream was live for (event time): from the later
    /// of the window's start and the model's first record since a start, restart or idle
    /// gap, to the window's end. Expected volume counts only that share.
    public var coverage: Double? = nil
    /// One-sided Poisson p-value of so few records against the expected volume.
    public var volumePValue: Double? = nil
    /// Accuracy (class labels) or mean absolute error (numbers), where labels arrived.
    public var performance: Double?
    public var baselinePerformance: Double?
    public var performanceMetric: Baseline.Performance.Metric?
    public var labelled: Int64
    /// The task's figures: accuracy, precision, recall, F1, positive rate, log loss, or MAE and RMSE.
    public var performanceFigures: PerformanceFigures? = nil
    /// One-sided p-value that performance fell (errors against the baseline's).
    public var performancePValue: Double? = nil
    public var features: [FeatureReport]
    /// The worst status over features and model-level rules.
    public var status: FeatureStatus
    /// The model-level rules' decisions (volume, performance).
    public var modelDecisions: [Decision]? = nil
}

/// A window's model performance, where labels arrived with the predictions.
public struct PerformanceFigures: Sendable, Codable, Equatable {
    public enum Task: String, Sendable, Codable { case classification, regression }
    public var task: Task
    public var labelled: Int64
    public var accuracy: Double? = nil
    public var precision: Double? = nil
    public var recall: Double? = nil
    public var f1: Double? = nil
    /// Share of labelled records predicted positive.
    public var positiveRate: Double? = nil
    public var logLoss: Double? = nil
    /// Score at or above which a record is predicted positive.
    public var threshold: Double? = nil
    public var meanAbsoluteError: Double? = nil
    public var rootMeanSquaredError: Double? = nil
}

extension FeatureReport {
    /// The feature with no distribution figures when the window held none of its values: PSI
    /// and Jensen–Shannon of an empty sample are artefacts of the empty-bin floor (PSI 6.9,
    /// JS NaN), not measurements, so they become NaN, which every output shows as absent.
    public var withoutFiguresOfAnEmptySample: FeatureReport {
        var f = self
        if f.numeric?.count == 0 { f.numeric?.psi = .nan; f.numeric?.jensenShannon = .nan }
        if f.categorical?.count == 0 { f.categorical?.psi = .nan; f.categorical?.jensenShannon = .nan }
        return f
    }
}
