import DriftCore
import Dispatch
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
        let baseline = try fit(model, table: table, reference: path, configurationFile: configuration.file, version: version ?? defaultVersion())
        try store.saveBaseline(baseline, activate: true, actor: actor)
        return Result(baseline: baseline, rejections: table.rejections)
    }

    /// What `--all-models` did: the baselines fitted (all stored in one transaction), and
    /// the models it could not fit, with why.
    public struct AllModelsResult: Sendable {
        public var baselines: [Baseline]
        /// Configured models (matching the patterns) without usable records in the file.
        public var absent: [String]
        /// Models in the file that the configuration does not know (or the patterns exclude).
        public var unconfigured: [String]
        public var rejections: [LineRejection]
    }

    /// `driftd baseline fit --all-models`: every configured model whose id matches one of
    /// `patterns` (all when empty), fitted from one reading of one reference file, the
    /// models fitted on every core, and stored in one transaction — all or none.
    public static func fitAll(configuration: DriftConfiguration, patterns: [String], reference path: String,
                              version: String?, store: AlertStore, actor: String) throws -> AllModelsResult {
        let expressions = try patterns.map { p in
            do { return try Regex(p) } catch {
                throw InputFailure(message: "--model '\(p)' is not a valid regular expression (\(error)); quote it in the shell, e.g. --model '^fraud-'")
            }
        }
        func selected(_ id: String) -> Bool {
            expressions.isEmpty || expressions.contains { (try? $0.firstMatch(in: id)) != nil }
        }
        let configured = Dictionary(configuration.models.filter { selected($0.id) }.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        guard !configured.isEmpty else {
            throw InputFailure(message: "no model of \(configuration.file) matches \(patterns.joined(separator: " or ")); configured: \(configuration.models.prefix(20).map(\.id).joined(separator: ", "))")
        }
        let file = try MappedFile(path: path)
        guard SampleFiles.format(of: path, requested: .auto) != .csv else {
            throw InputFailure(message: "\(path) is CSV, which names no model per row; --all-models needs JSON Lines inference records (or fit each model from its own CSV with --model)")
        }
        let part = SampleFiles.loadByModel(file) { configured[$0] != nil }
        let version = version ?? defaultVersion()
        let ids = configured.keys.filter { (part.tables[$0]?.rowCount ?? 0) > 0 }.sorted()
        let fitted = ResultSlots<Result>(count: ids.count)
        let failures = ResultSlots<String>(count: ids.count)
        DispatchQueue.concurrentPerform(iterations: ids.count) { k in
            do {
                let table = part.tables[ids[k]]!
                fitted[k] = Result(baseline: try fit(configured[ids[k]]!, table: table, reference: path, configurationFile: configuration.file, version: version),
                                   rejections: table.rejections)
            } catch {
                failures[k] = "\(error)"
            }
        }
        if let failure = failures.writtenValues.first { throw InputFailure(message: failure + " — nothing was stored") }
        let results = fitted.writtenValues
        try store.saveBaselines(results.map(\.baseline), activate: true, actor: actor)
        return AllModelsResult(baselines: results.map(\.baseline),
                               absent: configured.keys.filter { (part.tables[$0]?.rowCount ?? 0) == 0 }.sorted(),
                               unconfigured: part.skipped.sorted(),
                               rejections: (part.rejections + results.flatMap(\.rejections)).sorted { $0.line < $1.line })
    }

    /// One model's baseline from its reference rows, with thresholds calibrated on the
    /// reference when its windows' size in records is known.
    static func fit(_ model: ModelConfiguration, table: SampleTable, reference path: String, configurationFile: String,
                    version: String) throws -> Baseline {
        guard table.rowCount > 0 else {
            throw InputFailure(message: "\(path) holds no usable records of model '\(model.id)'; a reference needs the model's own inference records")
        }
        for name in model.features.keys where table.column(named: name) == nil {
            throw InputFailure(message: "feature '\(name)' of model '\(model.id)' in \(configurationFile) is not in \(path); features there: \(table.featureNames.joined(separator: ", "))")
        }
        let span = table.eventTimeRange.map { Double($0.upperBound - $0.lowerBound) }
        var baseline = Baseline.fit(model: model.id, version: version, reference: table, kinds: model.features,
                                    eventTimeSpanMilliseconds: span, task: model.task)
        // Reference-calibrated thresholds: pieces of one window each against the rest.
        let windowRecords: Int? = switch model.window.basis {
        case .count: Int(model.window.size)
        case .eventTime: baseline.eventRate.map { Int(($0 * Double(model.window.calendar?.nominalLength ?? model.window.size) / 1000).rounded()) }
        }
        if let n = windowRecords { baseline.calibration = ReferenceCalibration.fit(baseline: baseline, reference: table, windowRecords: n) }
        return baseline
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
