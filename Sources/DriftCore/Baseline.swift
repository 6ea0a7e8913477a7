import DriftStats

/// A model's reference, fitted once on a reference sample and stored versioned: what every
/// window of the model is compared with.
public struct Baseline: Sendable, Codable, Equatable {
    public enum FeatureProfile: Sendable, Codable, Equatable {
        case numeric(NumericReferenceProfile)
        case categorical(CategoricalReferenceProfile)

        public var kind: FeatureKind {
            switch self { case .numeric: .numeric; case .categorical: .categorical }
        }
    }

    public struct Feature: Sendable, Codable, Equatable {
        public var name: String
        public var profile: FeatureProfile
    }

    /// How the model performed on the reference, where it carried labels.
    public struct Performance: Sendable, Codable, Equatable {
        public enum Metric: String, Sendable, Codable { case accuracy, meanAbsoluteError = "mae" }
        public var metric: Metric
        public var value: Double
        public var labelled: Int
        /// Accuracy of numeric scores against 0/1 labels: a score at or above this is class 1.
        public var threshold: Double? = nil
        /// Mean absolute error: the absolute errors' standard deviation, for Welch's test.
        public var standardDeviation: Double? = nil
        /// Accuracy of numeric class labels (0, 1, 2, …): a prediction is right when equal.
        public var numericClasses: Bool? = nil
    }

    public var model: String
    public var version: String
    public var recordCount: Int
    /// Features in the order first seen in the reference; the prediction is one of them.
    public var features: [Feature]
    public var performance: Performance?
    /// Reference records per second of event time, when the reference carried timestamps.
    public var eventRate: Double?
    /// How far each statistic moved by chance between pieces of the reference of one
    /// window each (for rules with `threshold: auto`); nil when not calibrated.
    public var calibration: ReferenceCalibration? = nil

    public func feature(named name: String) -> Feature? { features.first { $0.name == name } }
}

extension Baseline {
    /// Fits a baseline on a reference table (all of one model's records).
    /// - Parameters:
    ///   - kinds: kinds forced by the configuration; others are inferred from the values.
    ///   - eventTimes: the records' event times in ms, when known, for the expected rate.
    public static func fit(model: String, version: String, reference: SampleTable,
                           kinds: [String: FeatureKind] = [:], bins: Int = NumericBinning.defaultBinCount,
                           gridPoints: Int = ReferenceGrid.defaultPointCount,
                           topCategories: Int = CategoricalReferenceProfile.defaultTopK,
                           eventTimeSpanMilliseconds: Double? = nil, task: PerformanceFigures.Task? = nil) -> Baseline {
        var features: [Feature] = []
        for name in reference.featureNames where name != "label" {
            let column = reference.column(named: name)!
            guard let kind = kinds[name] ?? column.inferredKind else { continue }
            switch kind {
            case .numeric:
                if let profile = NumericReferenceProfile.fit(column.numbers, bins: bins, gridPoints: gridPoints) {
                    features.append(Feature(name: name, profile: .numeric(profile)))
                }
            case .categorical:
                var keys = ByteInterner()
                let counts = Comparison.categoryCounts(column, into: &keys)
                var frequencies: [String: UInt64] = [:]
                for (code, count) in counts.counts.enumerated() where count > 0 { frequencies[keys.key(Int32(code))] = count }
                let profile = CategoricalReferenceProfile.fit(frequencies: frequencies, missing: UInt64(column.missingCount + column.otherCount), topK: topCategories)
                features.append(Feature(name: name, profile: .categorical(profile)))
            }
        }
        var rate: Double? = nil
        if let span = eventTimeSpanMilliseconds, span > 0 { rate = Double(reference.rowCount) / (span / 1000) }
        return Baseline(model: model, version: version, recordCount: reference.rowCount, features: features,
                        performance: performance(reference, task: task), eventRate: rate)
    }

    /// The task is inferred from the labels: text labels are classes (accuracy: prediction
    /// text equals label text); numeric labels that are all 0 or 1 are a binary
    /// classification (accuracy of the score thresholded at 0.5); other numbers are a
    /// regression (mean absolute error).
    /// `task` overrides the inference (the configuration's `task:`).
    static func performance(_ table: SampleTable, task: PerformanceFigures.Task? = nil) -> Performance? {
        guard let label = table.column(named: "label"), let prediction = table.column(named: "prediction") else { return nil }
        var sum = 0.0, sumSquares = 0.0, n = 0
        if label.numberCount >= label.textCount {
            let rows = (0..<table.rowCount).filter { !label.numbers[$0].isNaN && !prediction.numbers[$0].isNaN }
            let binary = !rows.isEmpty && rows.allSatisfy({ label.numbers[$0] == 0 || label.numbers[$0] == 1 })
            if task == .classification && !binary && !rows.isEmpty {
                let correct = rows.filter { prediction.numbers[$0] == label.numbers[$0] }.count
                return Performance(metric: .accuracy, value: Double(correct) / Double(rows.count), labelled: rows.count, numericClasses: true)
            }
            if binary && task != .regression {
                let threshold = 0.5
                let correct = rows.filter { (prediction.numbers[$0] >= threshold ? 1.0 : 0.0) == label.numbers[$0] }.count
                return Performance(metric: .accuracy, value: Double(correct) / Double(rows.count), labelled: rows.count, threshold: threshold)
            }
            for row in rows {
                let e = Swift.abs(prediction.numbers[row] - label.numbers[row])
                sum += e; sumSquares += e * e; n += 1
            }
            guard n > 0 else { return nil }
            let mean = sum / Double(n)
            let variance = n > 1 ? Swift.max(0, (sumSquares - Double(n) * mean * mean) / Double(n - 1)) : 0
            return Performance(metric: .meanAbsoluteError, value: mean, labelled: n, standardDeviation: variance.squareRoot())
        }
        for row in 0..<table.rowCount {
            guard !label.codes.isEmpty, label.codes[row] >= 0, !prediction.codes.isEmpty, prediction.codes[row] >= 0 else { continue }
            if label.categories.key(label.codes[row]) == prediction.categories.key(prediction.codes[row]) { sum += 1 }
            n += 1
        }
        return n == 0 ? nil : Performance(metric: .accuracy, value: sum / Double(n), labelled: n)
    }
}
