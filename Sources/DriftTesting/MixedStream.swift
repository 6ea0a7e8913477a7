#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Seeded inference records of a model ("mixed") whose features have the shapes drift tests
/// get wrong: heavy tails, skew, ties, a point mass at zero, two values only, missing values,
/// few and many categories and a rare one. With no drift the stream is stationary, so every
/// alert on it is a false alarm; a drift kind changes one feature by a small, stated amount
/// from a given record on, so the delay until an alert is the detection delay.
///
/// Records follow docs/record-format.md; every record has a 0/1 label drawn from the
/// prediction (a calibrated score), so the model's accuracy is stationary too.
public struct MixedStream: Sendable {
    /// Small drifts, each of one feature, of the size driftd's defaults are meant to find at
    /// 2,000-record windows.
    public enum Drift: String, Sendable, CaseIterable, CustomStringConvertible {
        /// `normal`'s mean moves by a quarter of its sd.
        case meanShift = "mean_shift"
        /// `normal`'s sd grows by 30 %.
        case spread
        /// `levels3`'s first category gains 5 points of share (the others shrink in proportion).
        case categoryShare = "category_share"
        /// The prediction's logit moves by a quarter of its sd.
        case predictionShift = "prediction_shift"

        /// The feature the drift changes.
        public var feature: String {
            switch self {
            case .meanShift, .spread: "normal"
            case .categoryShare: "levels3"
            case .predictionShift: "prediction"
            }
        }
        public var description: String { rawValue }
    }

    public static let numericFeatures = ["normal", "heavy_tail", "lognormal", "poisson", "zero_inflated", "binary", "with_missing"]
    public static let categoricalFeatures = ["levels3", "levels12", "levels60", "rare_level"]

    /// One record's values: numbers (NaN = missing) in ``numericFeatures`` order, categories
    /// in ``categoricalFeatures`` order.
    public struct Row: Sendable {
        public var numeric: [Double]
        public var categorical: [String]
        public var prediction: Double
        public var label: Int
    }

    public var model = "mixed"
    public var drift: Drift?
    /// The first record the drift applies to.
    public var driftFrom: Int
    private var generator: SeededGenerator
    public private(set) var produced = 0

    public init(seed: UInt64, drift: Drift? = nil, from driftFrom: Int = 0) {
        self.generator = SeededGenerator(seed: seed)
        self.drift = drift
        self.driftFrom = driftFrom
    }

    static let levels3 = ["web", "app", "store"]
    static let levels3Shares = [0.5, 0.3, 0.2]
    static let levels12 = (1...12).map { "l\($0)" }
    static let levels12Shares = normalised((1...12).map { 1 / Double($0) })
    static let levels60 = (1...60).map { "c\($0)" }
    /// Zipf-like with exponent 0.7: the rarest share is about 0.7 %, so a 20,000-record
    /// reference sees every category.
    static let levels60Shares = normalised((1...60).map { pow(Double($0), -0.7) })
    static let rareLevels = ["a", "b", "c", "rare"]
    static let rareLevelShares = [0.6, 0.3, 0.095, 0.005]

    static func normalised(_ w: [Double]) -> [Double] { let s = w.reduce(0, +); return w.map { $0 / s } }

    mutating func uniform() -> Double { Double(generator.next() >> 11) * 0x1p-53 }

    mutating func category(_ names: [String], _ shares: [Double]) -> String {
        var u = uniform()
        for (k, s) in shares.enumerated() {
            if u < s { return names[k] }
            u -= s
        }
        return names[names.count - 1]
    }

    mutating func poisson(_ lambda: Double) -> Double {
        let limit = exp(-lambda)
        var k = 0.0, product = uniform()
        while product > limit { k += 1; product *= uniform() }
        return k
    }

    mutating func studentT3() -> Double {
        let z = generator.normal()
        let a = generator.normal(), b = generator.normal(), c = generator.normal()
        return z / ((a * a + b * b + c * c) / 3).squareRoot()
    }

    static func rounded(_ x: Double, _ digits: Double = 1e4) -> Double { (x * digits).rounded() / digits }

    /// The next record's values.
    public mutating func next() -> Row {
        let drifted = drift != nil && produced >= driftFrom
        let kind = drifted ? drift : nil
        produced += 1
        var z = generator.normal()
        if kind == .meanShift { z += 0.25 }
        if kind == .spread { z *= 1.3 }
        let normal = Self.rounded(10 + 2 * z)
        let heavy = Self.rounded(studentT3())
        let logNormal = Self.rounded(exp(3 + 0.8 * generator.normal()), 100)
        let counts = poisson(3)
        let zeroInflated = uniform() < 0.6 ? 0 : Self.rounded(-20 * log(1 - uniform()), 100)
        let binary: Double = uniform() < 0.3 ? 1 : 0
        let withMissing = uniform() < 0.02 ? Double.nan : Self.rounded(50 + 10 * generator.normal(), 100)

        var shares = Self.levels3Shares
        if kind == .categoryShare {
            shares = [0.55] + shares.dropFirst().map { $0 * 0.45 / 0.5 }
        }
        let categories = [category(Self.levels3, shares), category(Self.levels12, Self.levels12Shares),
                          category(Self.levels60, Self.levels60Shares), category(Self.rareLevels, Self.rareLevelShares)]

        // A score from two features and noise: logit sd ≈ 1.
        var logit = -0.4 + 0.5 * z + 0.3 * (binary * 2 - 1) + 0.8 * generator.normal()
        if kind == .predictionShift { logit += 0.25 }
        let score = 1 / (1 + exp(-logit))
        let label = uniform() < score ? 1 : 0
        return Row(numeric: [normal, heavy, logNormal, counts, zeroInflated, binary, withMissing],
                   categorical: categories, prediction: Self.rounded(score), label: label)
    }

    /// A row as one JSON Lines record.
    public func record(_ row: Row, id: Int) -> String {
        var features = ""
        for (k, name) in Self.numericFeatures.enumerated() {
            let v = row.numeric[k]
            features += "\"\(name)\":\(v.isNaN ? "null" : number(v)),"
        }
        for (k, name) in Self.categoricalFeatures.enumerated() { features += "\"\(name)\":\"\(row.categorical[k])\"," }
        features.removeLast()
        return "{\"model\":\"\(model)\",\"id\":\"r\(id)\",\"features\":{\(features)},\"prediction\":\(number(row.prediction)),\"label\":\(row.label)}"
    }

    func number(_ v: Double) -> String { v == v.rounded() && Swift.abs(v) < 1e15 ? String(Int64(v)) : "\(v)" }

    /// The next `count` records as JSON Lines text.
    public mutating func text(_ count: Int) -> String {
        var out = ""
        for _ in 0..<count {
            let id = produced
            out += record(next(), id: id)
            out += "\n"
        }
        return out
    }
}
