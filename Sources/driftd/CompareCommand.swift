import ArgumentParser
import Dispatch
import DriftCore
import DriftDaemon
import DriftStats

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case table, json }
enum InputFormat: String, ExpressibleByArgument, CaseIterable { case auto, jsonl, csv }
extension KSMethod: ExpressibleByArgument {}
extension BinningMode: ExpressibleByArgument {}

/// `driftd compare`: drift between two whole files, feature by feature.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare a current sample with a reference sample, feature by feature.",
        discussion: """
        Reads JSON Lines inference records (see the record format) or CSV with a header, \
        chosen by the file extension (.jsonl/.ndjson/.json or .csv) or --input-format. \
        Feature kinds are inferred from the reference; --numeric and --categorical override.

        A feature with fewer than --min-samples values on either side (default 30, as \
        streaming windows' min_samples) is "insufficient data": no verdict on its \
        distribution. Its missing rate is still judged: a feature that went (mostly) null \
        is drift.

        Exit status: 0 no drift, 1 drift found, 2 bad usage or bad input, 3 not enough data \
        to judge (no drift found, but some feature had too few values).
        """
    )

    @Option(help: "The reference sample (what the model was trained or validated on).")
    var reference: String

    @Option(help: "The current sample to check for drift.")
    var current: String

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    @Option(name: .customLong("input-format"), help: "Input format: auto (by extension), jsonl or csv.")
    var inputFormat: InputFormat = .auto

    @Option(help: "Comma-separated features to treat as numeric.")
    var numeric: String?

    @Option(help: "Comma-separated features to treat as categorical.")
    var categorical: String?

    @Option(name: .customLong("ks-method"), help: "KS p-value: auto (exact up to 10,000 values), exact or asymp.")
    var ksMethod: KSMethod = .auto

    @Option(help: "Number of quantile bins for PSI and Jensen-Shannon (2...64).")
    var bins: Int = NumericBinning.defaultBinCount

    @Option(help: "quantile (driftd's frozen reference quantiles) or evidently (Evidently's Sturges bins).")
    var binning: BinningMode = .quantile

    @Option(name: .customLong("psi-threshold"), help: "Drift when PSI is at least this.")
    var psiThreshold: Double = DriftThresholds().psi

    @Option(name: .customLong("ks-threshold"), help: "Drift when KS D is at least this and its p-value is below --p-value.")
    var ksThreshold: Double = DriftThresholds().ksStatistic

    @Option(name: .customLong("p-value"), help: "Significance level for the KS and chi-square tests.")
    var pValue: Double = DriftThresholds().pValue

    @Option(name: .customLong("js-threshold"), help: "Categorical: drift when chi-square is significant and Jensen-Shannon is at least this.")
    var jsThreshold: Double = DriftThresholds().jensenShannon

    @Option(name: .customLong("unseen-threshold"), help: "Categorical: drift when the share of unseen categories is at least this.")
    var unseenThreshold: Double = DriftThresholds().unseenRate

    @Option(name: .customLong("min-samples"), help: "Fewer values than this on either side: insufficient data, no verdict on the distribution.")
    var minSamples: Int = WindowConfiguration.defaultMinimumSamples

    @Flag(help: .hidden)
    var timings = false

    func validate() throws {
        guard NumericBinning.allowedBinCounts.contains(bins) else {
            throw ValidationError("--bins must be between 2 and 64, got \(bins)")
        }
        for (flag, value) in [("--psi-threshold", psiThreshold), ("--ks-threshold", ksThreshold), ("--js-threshold", jsThreshold),
                              ("--unseen-threshold", unseenThreshold)] where !(value >= 0) {
            throw ValidationError("\(flag) must be a non-negative number, got \(value)")
        }
        guard minSamples >= 1 else { throw ValidationError("--min-samples must be at least 1, got \(minSamples)") }
        guard pValue > 0 && pValue < 1 else { throw ValidationError("--p-value must be between 0 and 1, got \(pValue)") }
    }

    func run() throws {
        var options = ComparisonOptions()
        options.bins = bins
        options.binning = binning
        options.ksMethod = ksMethod
        options.minimumSamples = minSamples
        options.thresholds.psi = psiThreshold
        options.thresholds.ksStatistic = ksThreshold
        options.thresholds.pValue = pValue
        options.thresholds.jensenShannon = jsThreshold
        options.thresholds.unseenRate = unseenThreshold
        let numericNames = list(numeric), categoricalNames = list(categorical)
        if let both = Set(numericNames).intersection(categoricalNames).first {
            throw ValidationError("feature '\(both)' is given both as --numeric and --categorical")
        }
        for n in numericNames { options.kindOverrides[n] = .numeric }
        for n in categoricalNames { options.kindOverrides[n] = .categorical }

        let clock = PhaseClock(enabled: timings)
        let (referenceFile, currentFile) = (try MappedFile(path: reference), try MappedFile(path: current))
        let referenceTable = try load(referenceFile)
        clock.mark("read reference")
        let currentTable = try load(currentFile)
        clock.mark("read current")
        report(referenceTable.rejections, in: reference)
        report(currentTable.rejections, in: current)
        guard referenceTable.rowCount > 0 else {
            throw InputFailure(message: "\(reference) holds no usable records; give a JSON Lines file of inference records or a CSV file with a header")
        }
        guard currentTable.rowCount > 0 else {
            throw InputFailure(message: "\(current) holds no usable records; give a JSON Lines file of inference records or a CSV file with a header")
        }
        for name in numericNames + categoricalNames where referenceTable.column(named: name) == nil {
            throw InputFailure(message: "feature '\(name)' is not in \(reference); features there: \(referenceTable.featureNames.joined(separator: ", "))")
        }

        let names = Comparison.featureNames(reference: referenceTable)
        let settings = options
        let results = ResultSlots<FeatureComparison>(count: names.count)
        DispatchQueue.concurrentPerform(iterations: names.count) { k in
            results[k] = Comparison.compareFeature(names[k], reference: referenceTable, current: currentTable, options: settings)
        }
        let comparison = ComparisonReport(features: results.values)
        clock.mark("statistics")
        switch format {
        case .json: print(ComparisonRendering.json(comparison))
        case .table: print(ComparisonRendering.table(comparison, minimumSamples: minSamples), terminator: "")
        }
        if comparison.drift { throw ExitCode(1) }
        if comparison.undecided { throw ExitCode(3) }
    }

    private func list(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { String($0).trimmingCharacters() }.filter { !$0.isEmpty }
    }

    /// Reads a file, JSON Lines in parallel parts on every core.
    private func load(_ file: MappedFile) throws(InputFailure) -> SampleTable {
        SampleFiles.load(file, format: SampleFiles.Format(rawValue: inputFormat.rawValue) ?? .auto)
    }

    private func report(_ rejections: [LineRejection], in path: String) {
        let shown = 20
        for r in rejections.prefix(shown) {
            writeStandardError("driftd: \(path):\(r.line): skipped: \(r.rejection)\n")
        }
        if rejections.count > shown {
            writeStandardError("driftd: \(path): \(rejections.count - shown) more malformed lines skipped\n")
        }
    }
}

/// Phase timings on standard error (`--timings`), for measuring where time goes.
final class PhaseClock {
    let enabled: Bool
    var last = PhaseClock.now()
    init(enabled: Bool) { self.enabled = enabled }
    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
    func mark(_ phase: String) {
        guard enabled else { return }
        let t = PhaseClock.now()
        writeStandardError("timing: \(phase): \(Decimal4.format(t - last, digits: 3)) s\n")
        last = t
    }
}


extension String {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
