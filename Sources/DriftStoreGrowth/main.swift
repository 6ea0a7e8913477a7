// driftd-store-growth: how the SQLite store grows and how retention bounds it (issue 15 §3).
// Everything is generated here: a model of 20 features (16 numeric, 4 categorical) and its
// prediction, a baseline, and real window reports from the pipeline, committed through
// AlertStore.commit as the daemon commits them, with an injected wall clock. Prints Markdown.
//
//   swift build --product driftd-store-growth && .build/debug/driftd-store-growth [--days N] [--big N] [--dir D]
//
// 1. Bytes per window report per feature, measured on the file.
// 2. Store growth per day at 100 models × 20 features with 1-minute windows (from 1).
// 3. Simulated days at 20 models × 10-minute windows (2,880 reports a day) with
//    window_reports: 3d, pruned once per simulated day: the file size levels off.
// 4. Commit time per commit point (20 reports) on a store of 1,000 reports and on one of
//    100 × that, measured in the same run, interleaved, as a ratio.

import DriftCore
import DriftStore
import DriftTesting
import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#endif

var days = 12
var bigFactor = 100
var commitOnly = false
var folder = NSTemporaryDirectory() + "driftd-store-growth-\(getpid())"
var arguments = CommandLine.arguments.dropFirst()
while let a = arguments.popFirst() {
    switch a {
    case "--days": days = arguments.popFirst().flatMap(Int.init) ?? days
    case "--big": bigFactor = arguments.popFirst().flatMap(Int.init) ?? bigFactor
    case "--dir": folder = arguments.popFirst() ?? folder
    case "--commit-only": commitOnly = true
    default:
        print("usage: driftd-store-growth [--days N] [--big FACTOR] [--dir FOLDER] [--commit-only]")
        exit(a == "--help" || a == "-h" ? 0 : 2)
    }
}
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: folder) }

func seconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
func log(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }
func mb(_ bytes: Int64) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }

// MARK: real reports of a 20-feature model

let numeric = (0..<16).map { "n\($0)" }, categorical = (0..<4).map { "c\($0)" }
func records(_ count: Int, seed: UInt64, shift: Double) -> String {
    var g = SeededGenerator(seed: seed)
    var text = ""
    for i in 0..<count {
        var fields: [String] = []
        for (k, name) in numeric.enumerated() {
            let v = k % 3 == 0 ? exp(g.normal() * 0.5 + shift) : g.normal() * Double(k + 1) + shift * Double(k + 1)
            fields.append("\"\(name)\":\((v * 1000).rounded() / 1000)")
        }
        for (k, name) in categorical.enumerated() {
            let levels = [3, 12, 60, 400][k]
            fields.append("\"\(name)\":\"v\(Int(g.next() % UInt64(levels)))\"")
        }
        let p = (Double(g.next() % 1000) / 1000 * 1000).rounded() / 1000
        text += "{\"model\":\"m\",\"id\":\"r\(i)\",\"ts\":\(1_764_000_000_000 + Int64(i) * 10),\"features\":{\(fields.joined(separator: ","))},\"prediction\":\(p)}\n"
    }
    return text
}

let windowSize = 1_000
let baseline = Baseline.fit(model: "m", version: "v1", reference: .parsing(records(20_000, seed: 1, shift: 0)))
var pipeline = Pipeline(source: "gen", monitors: [ModelMonitor(baseline: baseline, configuration: WindowConfiguration(basis: .count, size: Int64(windowSize)))],
                        rules: ["m": Rule.defaults])
var stream = Array(records(windowSize * 24, seed: 2, shift: 0.05).utf8)
var offset = 0, line: Int64 = 0
while offset < stream.count {
    let end = stream[offset...].firstIndex(of: UInt8(ascii: "\n")) ?? stream.count
    stream.withUnsafeBufferPointer { all in
        pipeline.ingest(UnsafeBufferPointer(rebasing: all[offset..<end]), position: SourcePosition(partition: 0, offset: Int64(end)))
    }
    offset = end + 1; line += 1
}
pipeline.flush(now: 0)
let samples = pipeline.takeOutput().reports
let featuresPerReport = samples[0].features.count
log("\(samples.count) real reports of \(featuresPerReport) features each")

/// Report `k` of model `model`: a real report renamed and renumbered (bodies differ only there).
func report(model: Int, index: Int64) -> WindowReport {
    var r = samples[Int(index % Int64(samples.count))]
    r.model = "model-\(model)"
    r.windowIndex = index
    return r
}

func commitPoint(_ store: AlertStore, models: Range<Int>, index: Int64, now: Double) throws {
    var output = Transitions.output([])
    output.reports = models.map { report(model: $0, index: index) }
    try store.commit(output, checkpoint: Transitions.checkpoint, source: "gen", now: now)
}

/// The database file's size once the write-ahead log has reached it.
func settledSize(_ store: AlertStore) throws -> Int64 {
    try store.checkpointLog()
    return store.fileSize(includingLog: false)
}

// MARK: 1–2. bytes per report per feature, growth per day

let t0 = 1_800_000_000.0
var out = "## Store growth and retention (issue 15 §3)\n\n"
if !commitOnly {
    let store = try AlertStore(path: folder + "/size.sqlite")
    let empty = try settledSize(store)
    let reports = 2_000
    for tick in 0..<(reports / 20) { try commitPoint(store, models: 0..<20, index: Int64(tick), now: t0 + Double(tick) * 60) }
    let size = try settledSize(store) - empty
    let perFeature = Double(size) / Double(reports * featuresPerReport)
    let perDay = perFeature * Double(featuresPerReport) * 100 * 1_440
    out += """
        Reports are real: a 20-feature model (16 numeric, 4 categorical) and its prediction, \(featuresPerReport) \
        feature reports per window, from the pipeline on generated records with a small drift, \
        stored through `AlertStore.commit` (compact bodies, indexes of schema v4).

        | measure | value |
        |---|---|
        | file bytes per window report per feature (\(reports) reports) | \(String(format: "%.0f", perFeature)) |
        | store growth per day, 100 models × 20 features, 1-minute windows (144,000 reports) | \(String(format: "%.2f GB", perDay / 1e9)) |
        | the same with window_reports: 14d (the default), where it levels off | \(String(format: "%.1f GB", perDay * 14 / 1e9)) |


        """
    log("bytes per report per feature: \(perFeature)")
}

// MARK: 3. simulated days with retention

if !commitOnly {
    let store = try AlertStore(path: folder + "/days.sqlite")
    let policy = RetentionPolicy(kinds: [.windowReports: .age(seconds: 3 * 86_400)])
    let models = 20, ticksPerDay = 144
    out += """
        Simulated days, 20 models × 10-minute windows (2,880 reports a day), `window_reports: 3d`, \
        pruned at the end of each simulated day (a daemon prunes every 10 minutes; the plateau is \
        then lower by up to a day's growth). Clock injected: \(days) days take minutes.

        | day | reports stored | pruned | prune time | file (database) | file + WAL |
        |---:|---:|---:|---:|---:|---:|

        """
    var index: Int64 = 0
    for day in 0..<days {
        for tick in 0..<ticksPerDay {
            try commitPoint(store, models: 0..<models, index: index, now: t0 + Double(day) * 86_400 + Double(tick) * 600)
            index += 1
        }
        let started = seconds()
        let report = try store.prune(policy: policy, now: t0 + Double(day + 1) * 86_400)
        let took = seconds() - started
        let stored = try store.windowSummaries().reduce(0) { $0 + $1.windows }
        let withLog = store.fileSize()
        out += "| \(day + 1) | \(stored) | \(report.rows[.windowReports] ?? 0) | \(String(format: "%.2f s", took)) | \(mb(store.fileSize(includingLog: false))) | \(mb(withLog)) |\n"
        log("day \(day + 1): \(mb(store.fileSize(includingLog: false)))")
    }
    out += "\n"
}

// MARK: 4. commit time at 1× and 100× the rows

do {
    let small = try AlertStore(path: folder + "/small.sqlite"), big = try AlertStore(path: folder + "/big.sqlite")
    let base = 1_000
    func fill(_ store: AlertStore, reports: Int) throws {
        var output = Transitions.output([])
        for start in stride(from: 0, to: reports, by: 1_000) {
            output.reports = (start..<Swift.min(reports, start + 1_000)).map { report(model: $0 % 100, index: Int64($0 / 100)) }
            try store.commit(output, checkpoint: Transitions.checkpoint, source: "fill", now: t0)
        }
    }
    try fill(small, reports: base)
    try fill(big, reports: base * bigFactor)
    let sizes = (try settledSize(small), try settledSize(big))
    log("filled: \(mb(sizes.0)) and \(mb(sizes.1))")
    // Each measured commit point's reports are deleted again (untimed, through a connection
    // of its own), so both stores keep their size while they are measured.
    let erasers = [("small", try DatabaseQueue(path: small.path)), ("big", try DatabaseQueue(path: big.path))]
    var times: [String: [Double]] = ["small": [], "big": [], "small-sql": [], "big-sql": []]
    let rounds = 200
    // The store's own part: the same 20 rows with bodies encoded beforehand, inserted in one
    // transaction (what AlertStore.commit does after encoding), so the debug build's encoding
    // does not hide what the B-trees cost.
    let bodies = try (100..<120).map { m -> (String, Data) in
        ("model-\(m)", Data(try CompactCoding.encode(report(model: m, index: 0))))
    }
    for round in 0..<rounds {
        for (name, store) in round % 2 == 0 ? [("small", small), ("big", big)] : [("big", big), ("small", small)] {
            let eraser = erasers.first { $0.0 == name }!.1
            let started = seconds()
            var output = Transitions.output([])
            output.reports = (100..<120).map { report(model: $0, index: Int64(1_000_000 + round)) }
            try store.commit(output, checkpoint: Transitions.checkpoint, source: "measure", now: t0 + Double(round))
            times[name]!.append(seconds() - started)
            let sqlStarted = seconds()
            try eraser.write { db in
                for (model, body) in bodies {
                    try db.execute(sql: """
                        INSERT INTO window_reports (source, model, window_index, baseline_version, basis, start_bound, end_bound,
                            first_event_ms, last_event_ms, record_count, status, body, committed_at)
                        VALUES ('measure-sql', ?, ?, 'v1', 'count', 0, 1000, 0, 0, 1000, 'ok', ?, ?)
                        """, arguments: [model, 2_000_000 + round, body, t0])
                }
            }
            times[name + "-sql"]!.append(seconds() - sqlStarted)
            try eraser.write { db in try db.execute(sql: "DELETE FROM window_reports WHERE source LIKE 'measure%'") }
        }
    }
    func median(_ v: [Double]) -> Double { let s = v.sorted(); return s[s.count / 2] }
    let a = median(times["small"]!), b = median(times["big"]!)
    let aSQL = median(times["small-sql"]!), bSQL = median(times["big-sql"]!)
    out += """
        Commit time of one commit point (20 window reports, \(featuresPerReport) features each), median of \(rounds), \
        the two stores written alternately in one run (debug build; the ratio is what matters on a shared machine):

        | store | reports | file | median commit | per window |
        |---|---:|---:|---:|---:|
        | 1× | \(base) | \(mb(sizes.0)) | \(String(format: "%.2f ms", a * 1000)) | \(String(format: "%.3f ms", a * 1000 / 20)) |
        | \(bigFactor)× | \(base * bigFactor) | \(mb(sizes.1)) | \(String(format: "%.2f ms", b * 1000)) | \(String(format: "%.3f ms", b * 1000 / 20)) |

        Ratio \(bigFactor)× / 1×: **\(String(format: "%.2f", b / a))**. The store's own part (the same 20 rows, \
        bodies encoded beforehand, one transaction): \(String(format: "%.2f ms", aSQL * 1000)) at 1×, \
        \(String(format: "%.2f ms", bSQL * 1000)) at \(bigFactor)×, ratio **\(String(format: "%.2f", bSQL / aSQL))**.

        """
}
print(out)
