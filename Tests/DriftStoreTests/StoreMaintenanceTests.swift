import DriftCore
import DriftStore
import DriftTestTraits
import DriftTesting
import Foundation
import Testing

/// Backups that hold whole commits while a writer keeps committing, integrity checks that
/// find damage, and exports that return exactly what was committed, in their range.
@Suite("Store maintenance: check, backup, export", .offThePool)
struct StoreMaintenanceTests {
    static let baseline = SyntheticStream(seed: 3).baseline(records: 1000)

    /// The reports and transitions of a pipeline run over `records` records of a drifting stream.
    static func run(window: WindowConfiguration, records: Int = 1200, timestamps: Bool = true, source: String = "test")
        -> (output: PipelineOutput, checkpoint: PipelineCheckpoint) {
        var stream = SyntheticStream(seed: 5, driftFrom: 500)
        stream.withTimestamps = timestamps
        var pipeline = Pipeline(source: source, monitors: [ModelMonitor(baseline: baseline, configuration: window)], rules: ["shop": Rule.defaults])
        for (i, r) in stream.records(records).enumerated() {
            Array(r.utf8).withUnsafeBufferPointer { pipeline.ingest($0, position: SourcePosition(partition: 0, offset: Int64(i + 1))) }
        }
        pipeline.closeAtEndOfInput(now: 0)
        return (pipeline.takeOutput(), pipeline.checkpoint)
    }

    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber).intValue
    }

    /// Commits counted by the thread that makes them.
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        private var stopped = false
        var value: Int { lock.withLock { n } }
        var shouldStop: Bool { lock.withLock { stopped } }
        func increment() { lock.withLock { n += 1 } }
        func stop() { lock.withLock { stopped = true } }
        func wait(until target: Int) {
            let deadline = Date().addingTimeInterval(60)
            while value < target && Date() < deadline { usleep(1000) }
        }
    }

    @Test("a backup taken while another thread keeps committing is a sound store holding a prefix of the commits, none in part")
    func backupUnderWrites() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("s.sqlite").path
        let store = try AlertStore(path: path)
        try store.saveBaseline(Self.baseline, activate: true, actor: "t")
        // One commit: 40 window reports (the run's two, renumbered), its transitions and a
        // checkpoint row named after the commit, so a copy shows which commits it holds.
        let run = Self.run(window: WindowConfiguration(basis: .count, size: 500, minimumSamples: 10))
        try #require(run.output.reports.count == 2 && !run.output.transitions.isEmpty)
        var output = run.output
        output.reports = (0..<40).map { k in
            var r = run.output.reports[k % 2]
            r.windowIndex = Int64(k)
            return r
        }
        let perCommit = (reports: output.reports.count, transitions: output.transitions.count,
                         outbox: output.transitions.filter(\.notifies).count)

        let committed = Counter()
        let failure = LockedBox<String?>(nil)
        let writer = Thread { [output] in
            var i = 0
            while !committed.shouldStop {
                do {
                    try store.commit(output, checkpoint: run.checkpoint, source: "commit-\(i)")
                } catch {
                    failure.set("commit \(i) failed: \(error)")
                    return
                }
                i += 1
                committed.increment()
            }
        }
        writer.start()
        committed.wait(until: 3)

        var copies: [(path: String, atLeast: Int, atMost: Int)] = []
        for b in 0..<3 {
            let copy = dir.url.appendingPathComponent("backup-\(b).sqlite").path
            let before = committed.value
            try store.backup(to: copy)
            copies.append((copy, before, committed.value + 1))
        }
        // The writer went on after the last backup: every copy is a strict prefix.
        committed.wait(until: copies.last!.atMost + 2)
        committed.stop()
        while !writer.isFinished { usleep(1000) }
        #expect(failure.value == nil)
        let total = committed.value
        try #require(total >= copies.last!.atMost + 2, "the writer kept committing during the backups")

        for copy in copies {
            let check = try AlertStore.check(path: copy.path)
            #expect(check.isOK, "\(check.problems)")
            #expect(check.summary?.journalMode == "delete", "a backup is one self-contained file")
            #expect(try Self.mode(copy.path) == 0o600)
            let restored = try AlertStore(path: copy.path)
            let held = try (0..<total).map { try restored.checkpoint(source: "commit-\($0)") != nil }
            let commits = held.prefix { $0 }.count
            #expect(!held.dropFirst(commits).contains(true), "the commits held are the first \(commits), with no gap")
            #expect((copy.atLeast...copy.atMost).contains(commits), "\(commits) commits, taken when \(copy.atLeast) had been made")
            #expect(commits < total)
            // Every commit held is held whole: all its reports, transitions and outbox rows.
            let reports = try restored.windowReports(model: "shop")
            #expect(reports.count == commits * perCommit.reports)
            #expect(reports == Array(repeating: output.reports, count: commits).flatMap { $0 })
            #expect(try restored.transitionLog().count == commits * perCommit.transitions)
            #expect(try restored.outboxCount() == commits * perCommit.outbox)
            #expect(try restored.baseline(model: "shop") == Self.baseline)
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.contains("partial") }
        #expect(left.isEmpty, "no temporary file left behind: \(left)")
    }

    @Test("a backup that fails leaves nothing under its name or beside it; the store's own file is refused")
    func failedBackup() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("s.sqlite").path
        let store = try AlertStore(path: path)
        try store.saveBaseline(Self.baseline, activate: true, actor: "t")
        // The copy is written, then cannot be renamed over a folder that holds a file.
        let taken = dir.url.appendingPathComponent("taken")
        try FileManager.default.createDirectory(at: taken, withIntermediateDirectories: true)
        _ = try dir.write("taken/keep", "mine")
        let error = try #require(throws: StoreError.self) { try store.backup(to: taken.path) }
        #expect(error.description.contains("nothing was written under that name"), "\(error)")
        #expect(try String(contentsOf: taken.appendingPathComponent("keep"), encoding: .utf8) == "mine")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted().filter { !$0.hasPrefix("s.sqlite") } == ["taken"])

        let missing = dir.url.appendingPathComponent("no/such/folder/b.sqlite").path
        let noFolder = try #require(throws: StoreError.self) { try store.backup(to: missing) }
        #expect(noFolder.description.contains("no/such/folder") && noFolder.description.contains("exists and is writable"), "\(noFolder)")

        let itself = try #require(throws: StoreError.self) { try store.backup(to: path) }
        #expect(itself.description.contains("onto itself"))
        #expect(try AlertStore.check(path: path).isOK)

        // The same through the file-only entry point, and a replaced file is replaced whole.
        let target = try dir.write("old.sqlite", "an older file")
        try AlertStore.backup(storeAt: path, to: target)
        #expect(try AlertStore(path: target).baseline(model: "shop") == Self.baseline)
        #expect(try Self.mode(target) == 0o600)
        #expect(throws: StoreError.self) { try AlertStore.backup(storeAt: dir.url.appendingPathComponent("none.sqlite").path, to: missing) }
    }

    @Test("check: a sound store is ok with its rows counted; damaged pages, dangling references and foreign files are problems")
    func check() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("s.sqlite").path
        let run = Self.run(window: WindowConfiguration(basis: .count, size: 100, minimumSamples: 10), records: 3000)
        do {
            let store = try AlertStore(path: path)
            try store.saveBaseline(Self.baseline, activate: true, actor: "t")
            try store.commit(run.output, checkpoint: run.checkpoint, source: "test")
        }
        let sound = try AlertStore.check(path: path)
        #expect(sound.isOK, "\(sound.problems)")
        let summary = try #require(sound.summary)
        let rows = Dictionary(uniqueKeysWithValues: summary.tables.map { ($0.table, $0.rows) })
        #expect(rows["window_reports"] == Int64(run.output.reports.count))
        #expect(rows["alert_transitions"] == Int64(run.output.transitions.count))
        #expect(rows["baselines"] == 1 && rows["checkpoints"] == 1)
        #expect(summary.pendingMigrations.isEmpty && summary.unknownMigrations.isEmpty && !summary.appliedMigrations.isEmpty)
        #expect(summary.schemaVersion.hasPrefix("v") && summary.journalMode == "wal")
        #expect(summary.fileBytes == (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value)

        // A transition that names an alert that is not there.
        let dangling = dir.url.appendingPathComponent("dangling.sqlite").path
        try AlertStore.backup(storeAt: path, to: dangling)
        try Self.sqlite(dangling, "PRAGMA foreign_keys = OFF; DELETE FROM alerts WHERE id = (SELECT MIN(id) FROM alerts)")
        let fk = try AlertStore.check(path: dangling)
        #expect(fk.problems.contains { $0.contains("alert_transitions row") && $0.contains("alert_id → alerts.id names no row") }, "\(fk.problems)")

        // A page in the middle of the file overwritten.
        let damaged = dir.url.appendingPathComponent("damaged.sqlite").path
        try AlertStore.backup(storeAt: path, to: damaged)
        try Self.sqlite(damaged, "VACUUM")  // no free pages: the page overwritten is one in use
        try Self.corruptMiddlePage(damaged)
        let bad = try AlertStore.check(path: damaged)
        #expect(!bad.isOK)
        #expect(!bad.problems.isEmpty)
        // Its copy would be damaged too: refused, and a good backup under the name stays.
        let good = dir.url.appendingPathComponent("good.sqlite").path
        try AlertStore.backup(storeAt: path, to: good)
        let goodBytes = try Data(contentsOf: URL(fileURLWithPath: good))
        let refused = try #require(throws: StoreError.self) { try AlertStore.backup(storeAt: damaged, to: good) }
        // Found damaged at open (its schema pages) or by the copy's integrity check.
        #expect(refused.description.contains("the store \(damaged) is damaged") || (refused.description.contains("integrity check")
                && refused.description.contains("store itself is damaged")), "\(refused)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: good)) == goodBytes)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.contains("partial") }.isEmpty)

        let foreign = try dir.write("notes.txt", String(repeating: "not a database\n", count: 400))
        let notADatabase = try AlertStore.check(path: foreign)
        #expect(notADatabase.problems.count == 1 && notADatabase.problems[0].contains("cannot be opened as a SQLite database"), "\(notADatabase.problems)")
        #expect(notADatabase.summary == nil)
        let empty = try dir.write("empty.sqlite", "")
        #expect(try AlertStore.check(path: empty).problems.contains { $0.contains("not a driftd store") })
        #expect(throws: StoreError.self) { try AlertStore.check(path: dir.url.appendingPathComponent("none.sqlite").path) }
    }

    /// Overwrites the page at the middle of a (rollback-journal, checkpointed) store file.
    static func corruptMiddlePage(_ path: String) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        let pageSize: UInt64 = 4096
        try #require(size >= 8 * pageSize, "the store spans enough pages")
        try handle.seek(toOffset: (size / pageSize / 2) * pageSize)
        try handle.write(contentsOf: Data((0..<Int(pageSize)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }))
    }

    static func sqlite(_ path: String, _ sql: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import sqlite3, sys\ndb = sqlite3.connect(sys.argv[1], isolation_level=None)\ndb.executescript(sys.argv[2])", path, sql]
        try p.run()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "python3's sqlite3 ran \(sql)")
    }

    @Test("export: the window reports committed, in window order, selected by event time on a half-open range")
    func exportWindows() throws {
        let store = try AlertStore()
        try store.saveBaseline(Self.baseline, activate: true, actor: "t")
        // 3,001 records 100 ms apart from a minute boundary: five one-minute windows (the last
        // record, at five minutes, lets the fifth close at the end of the input).
        let minute: Int64 = 60_000
        let run = Self.run(window: WindowConfiguration(basis: .eventTime, size: minute, minimumSamples: 10), records: 3001)
        let reports = run.output.reports
        try #require(reports.count == 5)
        try store.commit(run.output, checkpoint: run.checkpoint, source: "a.jsonl")
        let start = SyntheticStream().startTime

        var all: [StoredWindowReport] = []
        #expect(try store.exportWindowReports(model: "shop") { all.append($0) } == 5)
        #expect(all.map(\.report) == reports)
        #expect(all.map(\.eventTime) == (0..<5).map { start + $0 * minute })
        #expect(all.allSatisfy { $0.source == "a.jsonl" })

        var middle: [StoredWindowReport] = []
        let range = EventTimeRange(from: start + minute, to: start + 3 * minute)
        try store.exportWindowReports(model: "shop", range: range) { middle.append($0) }
        #expect(middle.map(\.report) == Array(reports[1..<3]), "from is inclusive, to exclusive")
        var rest: [StoredWindowReport] = []
        try store.exportWindowReports(model: "shop", range: EventTimeRange(from: start + 3 * minute)) { rest.append($0) }
        #expect(rest.map(\.report) == Array(reports[3...]), "consecutive ranges hold each window once")
        #expect(try store.exportWindowReports(model: "other") { _ in Issue.record("no rows of another model") } == 0)

        // Count windows of records without time: exported only when no bound is given.
        let untimed = Self.run(window: WindowConfiguration(basis: .count, size: 500, minimumSamples: 10), timestamps: false, source: "b.jsonl")
        try store.commit(untimed.output, checkpoint: untimed.checkpoint, source: "b.jsonl")
        var both: [StoredWindowReport] = []
        try store.exportWindowReports(model: "shop") { both.append($0) }
        #expect(both.count == 5 + untimed.output.reports.count)
        #expect(both.filter { $0.eventTime == nil }.map(\.report) == untimed.output.reports)
        var bounded = 0
        try store.exportWindowReports(model: "shop", range: EventTimeRange(from: 0)) { _ in bounded += 1 }
        #expect(bounded == 5)
        let holdings = try store.holdings(model: "shop")
        #expect(holdings.windowReports == 5 + untimed.output.reports.count && holdings.windowsWithoutEventTime == untimed.output.reports.count)
        #expect(holdings.firstEventTime == start && holdings.lastEventTime == start + 4 * minute && holdings.models == ["shop"])
    }

    @Test("export: alerts with the transitions whose window is in the range, each with that window's event time")
    func exportAlerts() throws {
        let store = try AlertStore()
        try store.saveBaseline(Self.baseline, activate: true, actor: "t")
        let minute: Int64 = 60_000
        let run = Self.run(window: WindowConfiguration(basis: .eventTime, size: minute, minimumSamples: 10), records: 3001)
        var output = run.output
        // Transitions of our own at known windows, beside the run's reports (windows k start at
        // the stream's start + k minutes; their indexes are the reports').
        let index = run.output.reports.map(\.windowIndex)
        output.transitions = [Transitions.make("shop", "amount", "psi", .firing, window: index[1]),
                              Transitions.make("shop", "channel", "unseen_categories", .firing, severity: .critical, value: 0.2, window: index[2]),
                              Transitions.make("shop", "amount", "psi", .resolved, severity: nil, value: 0.01, window: index[4])]
        try store.commit(output, checkpoint: run.checkpoint, source: "a.jsonl")
        let start = SyntheticStream().startTime

        var all: [ExportedAlert] = []
        #expect(try store.exportAlerts(model: "shop") { all.append($0) } == 2)
        #expect(all.map(\.alert.fingerprint) == ["shop/amount/psi", "shop/channel/unseen_categories"])
        #expect(all[0].alert.state == "resolved" && all[0].alert.transitions.map(\.kind) == ["firing", "resolved"])
        #expect(all[0].windowEventTimes == [start + minute, start + 4 * minute])
        #expect(all[1].alert.severity == "critical" && all[1].alert.transitions.map(\.value) == [0.2])
        #expect(all.map(\.alert) == (try store.alerts()), "unbounded, an export holds each alert as the store lists it")

        var early: [ExportedAlert] = []
        try store.exportAlerts(model: "shop", range: EventTimeRange(to: start + 2 * minute)) { early.append($0) }
        #expect(early.count == 1 && early[0].alert.transitions.map(\.kind) == ["firing"] && early[0].windowEventTimes == [start + minute])
        var late: [ExportedAlert] = []
        try store.exportAlerts(model: "shop", range: EventTimeRange(from: start + 2 * minute)) { late.append($0) }
        #expect(late.map(\.alert.fingerprint) == ["shop/amount/psi", "shop/channel/unseen_categories"])
        #expect(late[0].alert.transitions.map(\.kind) == ["resolved"], "only the transitions in the range")
        let holdings = try store.holdings(model: "shop")
        #expect(holdings.alerts == 2 && holdings.transitions == 3)
    }
}

/// A value shared with a thread.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T { lock.withLock { stored } }
    func set(_ value: T) { lock.withLock { stored = value } }
}
