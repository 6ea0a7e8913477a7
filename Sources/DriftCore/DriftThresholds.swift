import DriftStats

/// When a feature counts as drifted. Effect size first: on large samples p-values flag
/// shifts too small to matter, so a small p-value alone never makes drift.
///
/// - numeric: PSI ≥ `psi`, or KS D ≥ `ksStatistic` with p < `pValue`;
/// - categorical: PSI ≥ `psi`, or chi-square p < `pValue` with Jensen–Shannon ≥
///   `jensenShannon`, or a rate of categories unseen in the reference ≥ `unseenRate`.
public struct DriftThresholds: Sendable, Codable, Equatable {
    public var psi = 0.2
    public var ksStatistic = 0.1
    public var pValue = 0.01
    public var jensenShannon = 0.1
    public var unseenRate = 0.05

    public init() {}

    public func numericDrift(psi value: Double, ks: KSResult?) -> Bool {
        if value >= psi { return true }
        if let ks, ks.statistic >= ksStatistic, ks.pValue < pValue { return true }
        return false
    }

    public func categoricalDrift(psi value: Double, chiSquare: ChiSquareResult?, jensenShannon js: Double, unseenRate rate: Double) -> Bool {
        if value >= psi { return true }
        if let chiSquare, chiSquare.pValue < pValue, js >= jensenShannon { return true }
        return rate >= unseenRate
    }
}
