import DriftCore
import DriftStore
import Foundation

/// `driftd baseline fit`: a model's reference file → a stored, versioned baseline.
public enum BaselineFitting {
    public struct Result: Sendable {
        public var baseline: Baseline
        public var rejections: [LineRejection]
    }

    public static func fit(configuration: DriftConfiguration, model id: String, reference path: String,
                           version: String?, store: AlertStore, actor: String) throws -> Result {
        guard let model = configuration.model(id) else {
            throw InputFailure(message: "model '\(id)' is not in \(configuration.file); configured: \(configuration.models.map(\.id).joined(separator: ", "))")
        }
        let file = try MappedFile(path: path)
        let table = SampleFiles.load(file, model: model.id)
        guard table.rowCount > 0 else {
            throw InputFailure(message: "\(path) holds no usable records of model '\(id)'; a reference needs the model's own inference records")
        }
        for name in model.features.keys where table.column(named: name) == nil {
            throw InputFailure(message: "feature '\(name)' of \(configuration.file) is not in \(path); features there: \(table.featureNames.joined(separator: ", "))")
        }
        let span = table.eventTimeRange.map { Double($0.upperBound - $0.lowerBound) }
        let version = version ?? defaultVersion()
        var baseline = Baseline.fit(model: model.id, version: version, reference: table, kinds: model.features,
                                    eventTimeSpanMilliseconds: span, task: model.task)
        // Reference-calibrated thresholds: pieces of one window each against the rest.
        let windowRecords: Int? = switch model.window.basis {
        case .count: Int(model.window.size)
        case .eventTime: baseline.eventRate.map { Int(($0 * Double(model.window.calendar?.nominalLength ?? model.window.size) / 1000).rounded()) }
        }
        if let n = windowRecords { baseline.calibration = ReferenceCalibration.fit(baseline: baseline, reference: table, windowRecords: n) }
        try store.saveBaseline(baseline, activate: true, actor: actor)
        return Result(baseline: baseline, rejections: table.rejections)
    }

    /// A version named by the time of fitting, e.g. `20261125T101500Z`.
    static func defaultVersion() -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        f.timeZone = TimeZone(identifier: "UTC")
        f.locale = Locale(identifier: "en_US_POSIX")
        return f.string(from: Date())
    }
}
