// driftd-calibrate: how often driftd's default rules fire on stationary streams, beside the
// rules drift tools use by default, and how quickly driftd finds small drifts (issue 9).
// Everything it reads is generated here (``MixedStream``): a 20,000-record reference, then
// stationary and drifted streams cut into count windows. Prints a Markdown report.
//
//   swift build -c release --product driftd-calibrate && .build/release/driftd-calibrate [--scale F]
//
// --scale multiplies every window count (0.1 for a quick look).

import DriftCore
import DriftStats
import DriftTesting
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

var scale = 1.0
var arguments = CommandLine.arguments.dropFirst()
while let a = arguments.popFirst() {
    switch a {
    case "--scale": scale = arguments.popFirst().flatMap(Double.init) ?? 1
    default:
        print("usage: driftd-calibrate [--scale F]")
        exit(a == "--help" || a == "-h" ? 0 : 2)
    }
}

func seconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

func log(_ s: String) { var line = s + "\n"; line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) } }

let started = seconds()
let numericNames = MixedStream.numericFeatures + ["prediction"]
let categoricalNames = MixedStream.categoricalFeatures

// MARK: the reference

let referenceSize = 20_000
var referenceStream = MixedStream(seed: 1)
var referenceRows: [MixedStream.Row] = []
var referenceText = ""
for i in 0..<referenceSize {
    let row = referenceStream.next()
    referenceRows.append(row)
    referenceText += referenceStream.record(row, id: i) + "\n"
}
let baseline = Baseline.fit(model: "mixed", version: "ref", reference: .parsing(referenceText))

@MainActor func numericValues(_ row: MixedStream.Row) -> [Double] { row.numeric + [row.prediction] }

/// What the peers keep of the reference: the raw sorted values (KS), decile bins and their
/// counts (PSI), and the category counts.
struct PeerReference {
    var sorted: [[Double]] = []
    var binnings: [NumericBinning] = []
    var binCounts: [[UInt64]] = []
    var categories: [[String: Int]] = []
    var categoryCounts: [[UInt64]] = []
}

var peers = PeerReference()
for k in numericNames.indices {
    let column = referenceRows.map { numericValues($0)[k] }
    let sorted = RadixSort.sortedFiniteValues(column)
    let binning = NumericBinning.quantile(sortedReference: sorted, bins: 10)
    var h = HistogramAccumulator.zero(binCount: binning.binCount)
    h.add(sorted, edges: binning.edges)
    peers.sorted.append(sorted); peers.binnings.append(binning); peers.binCounts.append(h.counts)
}
for k in categoricalNames.indices {
    var index: [String: Int] = [:]
    var counts: [UInt64] = []
    for row in referenceRows {
        let c = row.categorical[k]
        if let i = index[c] { counts[i] += 1 } else { index[c] = counts.count; counts.append(1) }
    }
    peers.categories.append(index); peers.categoryCounts.append(counts)
}

/// χ²_{df}(0.95), by bisection on the survival function.
func chiSquareCritical(_ df: Int) -> Double {
    var low = 0.0, high = 10.0 * Double(df) + 50
    for _ in 0..<200 {
        let mid = (low + high) / 2
        if ChiSquareDistribution.survival(mid, degreesOfFreedom: Double(df)) > 0.05 { low = mid } else { high = mid }
    }
    return (low + high) / 2
}

/// Which peer rules flag a window (any feature): KS p < 0.05 on the raw numeric samples
/// (scipy's ks_2samp), decile PSI ≥ 0.1, and PSI above its χ² critical value
/// (1/n + 1/N) · χ²_{B−1}(0.95) (Yurdakul 2018), numeric and categorical features alike.
struct PeerFlags { var ks = false, psi = false, psiChiSquare = false }

@MainActor func peerFlags(numeric: [[Double]], categorical: [[String]]) -> PeerFlags {
    var flags = PeerFlags()
    func psiRules(_ reference: [UInt64], _ current: [UInt64]) {
        let n = Double(current.reduce(0, +)), nRef = Double(reference.reduce(0, +))
        guard n > 0 else { return }
        let psi = PopulationStabilityIndex.value(referenceCounts: reference, currentCounts: current)
        if psi >= 0.1 { flags.psi = true }
        if reference.count > 1, psi > (1 / n + 1 / nRef) * chiSquareCritical(reference.count - 1) { flags.psiChiSquare = true }
    }
    for k in numericNames.indices {
        let sorted = RadixSort.sortedFiniteValues(numeric[k])
        if let ks = KolmogorovSmirnov.twoSample(sortedReference: peers.sorted[k], sortedCurrent: sorted), ks.pValue < 0.05 { flags.ks = true }
        var h = HistogramAccumulator.zero(binCount: peers.binnings[k].binCount)
        h.add(sorted, edges: peers.binnings[k].edges)
        psiRules(peers.binCounts[k], h.counts)
    }
    for k in categoricalNames.indices {
        var counts = peers.categoryCounts[k].map { _ in UInt64(0) }
        var unseen: UInt64 = 0
        for c in categorical[k] { if let i = peers.categories[k][c] { counts[i] += 1 } else { unseen += 1 } }
        var reference = peers.categoryCounts[k]
        if unseen > 0 { counts.append(unseen); reference.append(0) }
        psiRules(reference, counts)
    }
    return flags
}

// MARK: streams through driftd

/// Feeds `records` records of `stream` through the decoder and a count-window monitor;
/// calls `window` with each closed window's report, evaluated with the defaults, and (when
/// `rawWindows`) the window's raw values for the peers. Stops early when `window` says so.
@MainActor func run(_ stream: inout MixedStream, windowSize: Int, windows: Int, rawWindows: Bool,
         _ window: (WindowReport, [[Double]], [[String]]) -> Bool) {
    var monitor = ModelMonitor(baseline: baseline, configuration: WindowConfiguration(basis: .count, size: Int64(windowSize)))
    var decoder = RecordDecoder(schemas: [monitor.schema])
    var numeric = Array(repeating: [Double](), count: numericNames.count)
    var categorical = Array(repeating: [String](), count: categoricalNames.count)
    let batch = Swift.min(windowSize, 4096)
    var produced = 0
    let total = windowSize * windows
    while produced < total {
        let n = Swift.min(batch, total - produced, windowSize - produced % windowSize)
        for _ in 0..<n {
            let row = stream.next()
            if rawWindows {
                let values = numericValues(row)
                for k in numericNames.indices { numeric[k].append(values[k]) }
                for k in categoricalNames.indices { categorical[k].append(row.categorical[k]) }
            }
            var bytes = Array(stream.record(row, id: produced).utf8)
            produced += 1
            _ = bytes.withUnsafeMutableBufferPointer {
                decoder.decode(UnsafeBufferPointer($0), position: SourcePosition(partition: 0, offset: Int64(produced)))
            }
        }
        let reports = monitor.add(decoder.batches[0], now: 0)
        decoder.clearBatches()
        for var report in reports {
            _ = Evaluator.evaluate(&report, rules: Rule.defaults, policy: .default)
            if !window(report, numeric, categorical) { return }
            for k in numeric.indices { numeric[k].removeAll(keepingCapacity: true) }
            for k in categorical.indices { categorical[k].removeAll(keepingCapacity: true) }
        }
    }
}

func firedFeatures(_ report: WindowReport) -> Set<String> {
    var names = Set(report.features.filter { $0.status == .warn || $0.status == .critical }.map(\.name))
    if report.modelDecisions?.contains(where: { $0.severity != nil }) == true { names.insert("(model)") }
    return names
}

// MARK: false alarms

struct FalseAlarmRow {
    var size: Int, windows: Int
    var driftd = 0, ks = 0, psi = 0, psiChiSquare = 0
    var driftdRules: [String: Int] = [:]
}

let falseAlarmPlan: [(size: Int, windows: Int)] = [(30, 20_000), (200, 5000), (2000, 1000), (20_000, 200), (200_000, 25)]
var falseAlarms: [FalseAlarmRow] = []
for (i, plan) in falseAlarmPlan.enumerated() {
    let windows = Swift.max(1, Int((Double(plan.windows) * scale).rounded()))
    var row = FalseAlarmRow(size: plan.size, windows: windows)
    var stream = MixedStream(seed: 100 + UInt64(i))
    let t0 = seconds()
    run(&stream, windowSize: plan.size, windows: windows, rawWindows: true) { report, numeric, categorical in
        if report.status == .warn || report.status == .critical {
            row.driftd += 1
            for f in report.features { for d in f.decisions ?? [] where d.severity != nil { row.driftdRules["\(f.name)/\(d.rule)", default: 0] += 1 } }
            for d in report.modelDecisions ?? [] where d.severity != nil { row.driftdRules["(model)/\(d.rule)", default: 0] += 1 }
        }
        let flags = peerFlags(numeric: numeric, categorical: categorical)
        if flags.ks { row.ks += 1 }
        if flags.psi { row.psi += 1 }
        if flags.psiChiSquare { row.psiChiSquare += 1 }
        return true
    }
    log("false alarms: \(windows) windows of \(plan.size) in \(String(format: "%.1f", seconds() - t0)) s")
    falseAlarms.append(row)
}

// MARK: detection delay

let delayPlan: [(size: Int, repetitions: Int, limit: Int)] = [(30, 20, 100), (200, 40, 100), (2000, 40, 20), (20_000, 20, 10), (200_000, 5, 5)]
var delays: [MixedStream.Drift: [Int: [Int?]]] = [:]
for drift in MixedStream.Drift.allCases {
    for plan in delayPlan {
        let repetitions = Swift.max(1, Int((Double(plan.repetitions) * Swift.min(scale, 1)).rounded()))
        var found: [Int?] = []
        let t0 = seconds()
        for r in 0..<repetitions {
            // Drifted from the first record: the delay is the number of the first window
            // with a warning (or worse) on the drifted feature.
            var stream = MixedStream(seed: 10_000 + UInt64(r) * 31 + UInt64(plan.size), drift: drift, from: 0)
            var delay: Int? = nil
            var seen = 0
            run(&stream, windowSize: plan.size, windows: plan.limit, rawWindows: false) { report, _, _ in
                seen += 1
                if firedFeatures(report).contains(drift.feature) { delay = seen; return false }
                return true
            }
            found.append(delay)
        }
        delays[drift, default: [:]][plan.size] = found
        log("delay: \(drift) at \(plan.size): \(repetitions) runs in \(String(format: "%.1f", seconds() - t0)) s")
    }
}

// MARK: the report

func perThousand(_ k: Int, _ n: Int) -> String { String(format: "%.1f", 1000 * Double(k) / Double(n)) }

/// The exact one-sided 95 % upper confidence bound on a rate seen k times in n windows,
/// per 1,000 windows: the Poisson mean under which k or fewer happen 5 % of the time.
func upperBoundPerThousand(_ k: Int, _ n: Int) -> String {
    var low = 0.0, high = Double(k) * 3 + 10
    for _ in 0..<200 {
        let mid = (low + high) / 2
        if PoissonDistribution.lowerTail(atMost: k, mean: mid) > 0.05 { low = mid } else { high = mid }
    }
    return String(format: "%.1f", 1000 * high / Double(n))
}
func count(_ n: Int) -> String {
    var s = String(n), out = ""
    while s.count > 3 { out = "," + s.suffix(3) + out; s.removeLast(3) }
    return s + out
}

print("### False firings per 1,000 model-windows on stationary streams")
print()
print("Reference: \(count(referenceSize)) records of `MixedStream` (seed 1; 8 numeric features with the prediction, 4 categorical).")
print("A window is a false firing for a method when any feature flags (driftd: any rule breaches, `Rule.defaults`, Holm at 0.001).")
print()
print("| window (records) | windows | driftd defaults (count; 95 % upper bound) | KS p < 0.05 | decile PSI ≥ 0.1 | PSI > χ² critical (Yurdakul) |")
print("|---:|---:|---:|---:|---:|---:|")
for r in falseAlarms {
    print("| \(count(r.size)) | \(count(r.windows)) | \(perThousand(r.driftd, r.windows)) (\(r.driftd); ≤ \(upperBoundPerThousand(r.driftd, r.windows))) | \(perThousand(r.ks, r.windows)) | \(perThousand(r.psi, r.windows)) | \(perThousand(r.psiChiSquare, r.windows)) |")
}
let firingRules = falseAlarms.filter { !$0.driftdRules.isEmpty }
if !firingRules.isEmpty {
    print()
    print("driftd's false firings by feature and rule: " + firingRules.map { r in
        "\(count(r.size)): " + r.driftdRules.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
    }.joined(separator: "; ") + ".")
}
print()
print("### Detection delay of driftd's defaults (windows until the first warning on the drifted feature)")
print()
print("Each drift applies from the first record; median and worst over the runs, `>L` when not found within L windows.")
print()
print("| drift | " + delayPlan.map { "\(count($0.size)) records" }.joined(separator: " | ") + " |")
print("|---|" + delayPlan.map { _ in "---:" }.joined(separator: "|") + "|")
for drift in MixedStream.Drift.allCases {
    var cells: [String] = []
    for plan in delayPlan {
        let found = delays[drift]![plan.size]!
        let sorted = found.map { $0 ?? Int.max }.sorted()
        func show(_ v: Int) -> String { v == Int.max ? ">\(plan.limit)" : String(v) }
        let within2 = found.filter { ($0 ?? Int.max) <= 2 }.count
        cells.append("\(show(sorted[sorted.count / 2])) / \(show(sorted.last!)) (≤2: \(within2)/\(found.count))")
    }
    print("| \(drift) | " + cells.joined(separator: " | ") + " |")
}
print()
log("done in \(String(format: "%.0f", seconds() - started)) s")
