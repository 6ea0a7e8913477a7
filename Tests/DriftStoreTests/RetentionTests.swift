import DriftCore
@testable import DriftStore
import DriftTesting
import Foundation
import GRDB
import Testing

/// Retention: what is older than its retention goes, in exact numbers; what the daemon, the
/// notifier or an operator still needs stays; new stores shrink after pruning.
@Suite("Store retention")
struct RetentionTests {
    static let day = 86_400.0
    /// A fixed wall clock (2027-01-15), so every age below is exact.
    static let t0 = 1_800_000_000.0

    /// Real window reports of one model, as the pipeline writes them (100-record windows).
    static func reports(model: String, count: Int) -> [WindowReport] {
        var stream = SyntheticStream(model: model, seed: 7)
        stream.startTime = 1_764_000_000_000  // event times in 2025: long before t0
        let monitor = ModelMonitor(baseline: stream.baseline(records: 500), configuration: WindowConfiguration(basis: .count, size: 100, minimumSamples: 10))
        var pipeline = Pipeline(source: "r", monitors: [monitor], rules: [:])
        for (i, r) in stream.records(100 * count).enumerated() {
            Array(r.utf8).withUnsafeBufferPointer { pipeline.ingest($0, position: SourcePosition(partition: 0, offset: Int64(i))) }
        }
        pipeline.flush(now: 0)
        return pipeline.takeOutput().reports
    }

    static func commit(_ store: AlertStore, reports: [WindowReport] = [], transitions: [AlertTransition] = [], source: String = "test", at now: Double) throws {
        var output = Transitions.output(transitions)
        output.reports = reports
        try store.commit(output, checkpoint: Transitions.checkpoint, source: source, now: now)
    }

    /// Routes every waiting outbox row to receiver "r" and delivers it, at `now`.
    static func deliverAll(_ store: AlertStore, at now: Double) throws {
        for e in try store.pendingOutbox() {
            let ids = try store.route(outboxID: e.id, alertID: e.alertID, plans: [DeliveryPlan(receiver: "r", route: "0", dedupKey: "k")], now: now)
            try store.recordAttempt(deliveryIDs: Array(ids.values), at: now, statusCode: 200, error: nil, update: .delivered)
        }
    }

    static func count(_ store: AlertStore, _ table: String) throws -> Int {
        try store.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }

    static func policy(_ kinds: [RetentionKind: Retention]) -> RetentionPolicy { RetentionPolicy(kinds: kinds) }

    @Test("window reports committed before the cutoff go, oldest first; each model's newest stays; event time does not count")
    func windowReportsByAge() throws {
        let store = try AlertStore()
        let shop = Self.reports(model: "shop", count: 6), idle = Self.reports(model: "idle", count: 2)
        try Self.commit(store, reports: Array(shop[0..<3]) + idle, source: "a", at: Self.t0)
        try Self.commit(store, reports: Array(shop[3..<6]), source: "b", at: Self.t0 + 10 * Self.day)
        let policy = Self.policy([.windowReports: .age(seconds: 7 * Self.day)])

        // Every report's events are from 2025, a year before the clock: they were committed
        // within the week, so nothing goes.
        #expect(try store.prune(policy: policy, now: Self.t0 + 6 * Self.day).totalRows == 0)

        let now = Self.t0 + 10 * Self.day + 3600
        let dry = try store.prune(policy: policy, now: now, dryRun: true)
        #expect(dry.items[.windowReports] == 4 && dry.rows[.windowReports] == 4, "shop's three old reports and idle's older one")
        #expect(try Self.count(store, "window_reports") == 8, "a dry run deletes nothing")

        let report = try store.prune(policy: policy, now: now, batchSize: 2)  // window reports go one per transaction
        #expect(report.rows == dry.rows && report.items == dry.items, "the dry run counted exactly what pruning deleted")
        #expect(try store.windowReports(model: "shop") == Array(shop[3..<6]))
        #expect(try store.windowReports(model: "idle") == [idle[1]], "an idle model keeps its newest report, however old")
        #expect(try store.prune(policy: policy, now: now).totalRows == 0, "pruning again finds nothing")
    }

    @Test("a count keeps each model's newest N window reports")
    func windowReportsByCount() throws {
        let store = try AlertStore()
        let shop = Self.reports(model: "shop", count: 5), idle = Self.reports(model: "idle", count: 1)
        try Self.commit(store, reports: shop + idle, at: Self.t0)
        let report = try store.prune(policy: Self.policy([.windowReports: .newest(2)]), now: Self.t0)
        #expect(report.rows == [.windowReports: 3])
        #expect(try store.windowReports(model: "shop") == Array(shop[3...]))
        #expect(try store.windowReports(model: "idle") == idle)
    }

    /// Alerts as the pipeline and an operator leave them:
    /// - `shop/age/psi` fired on day 0 and still fires;
    /// - `shop/zip/psi` fired on day 0 (acked, with a note) and resolved on day 1, all delivered;
    /// - `shop/x/ks` went pending on day 0 and was cancelled on day 1;
    /// - `shop/hand/psi` fired on day 0 and was resolved by hand on day 1 (the pipeline still sees it firing);
    /// - `shop/late/psi` fired and resolved on day 1, its resolution not yet sent.
    static func alerts() throws -> AlertStore {
        let store = try AlertStore()
        try commit(store, transitions: [Transitions.make("shop", "age", "psi", .firing), Transitions.make("shop", "zip", "psi", .firing),
                                        Transitions.make("shop", "x", "ks", .pending), Transitions.make("shop", "hand", "psi", .firing)], at: t0)
        try deliverAll(store, at: t0)
        let zip = try #require(try store.alerts().first { $0.feature == "zip" })
        try store.acknowledge(alertID: zip.id, by: "ana", now: t0 + 60)
        try store.addNote(alertID: zip.id, by: "ana", text: "looking", now: t0 + 60)
        let hand = try #require(try store.alerts().first { $0.feature == "hand" })
        try store.resolve(alertID: hand.id, by: "bo", now: t0 + day)
        try commit(store, transitions: [Transitions.make("shop", "zip", "psi", .resolved, window: 3), Transitions.make("shop", "x", "ks", .cancelled, window: 3),
                                        Transitions.make("shop", "late", "psi", .firing, window: 3)], at: t0 + day)
        try deliverAll(store, at: t0 + day)
        try commit(store, transitions: [Transitions.make("shop", "late", "psi", .resolved, window: 4)], at: t0 + day)
        return store
    }

    @Test("with no route configured, a resolved alert whose outbox nothing will ever send is pruned; with a route it waits for the notifier")
    func nothingRoutes() throws {
        func store() throws -> AlertStore {
            let store = try AlertStore()
            try Self.commit(store, transitions: [Transitions.make("shop", "age", "psi", .firing), Transitions.make("shop", "zip", "psi", .firing)], at: Self.t0)
            try Self.commit(store, transitions: [Transitions.make("shop", "zip", "psi", .resolved, window: 3)], at: Self.t0 + Self.day)
            return store
        }
        var policy = Self.policy([.resolvedAlerts: .age(seconds: 7 * Self.day)])
        let routed = try store()
        #expect(try routed.prune(policy: policy, now: Self.t0 + 30 * Self.day).totalRows == 0, "the notifier has yet to send it")
        #expect(try routed.pendingOutbox().count == 3)
        policy.nothingRoutes = true
        let unrouted = try store()
        let report = try unrouted.prune(policy: policy, now: Self.t0 + 30 * Self.day)
        // zip: 2 transitions, their 2 outbox rows and the alert.
        #expect(report.items[.resolvedAlerts] == 1 && report.rows[.resolvedAlerts] == 5)
        #expect(try unrouted.alerts().map(\.feature) == ["age"], "the firing alert stays, with its outbox row for a route to come")
        #expect(try unrouted.pendingOutbox().map(\.fingerprint.feature) == ["age"])
    }

    @Test("resolved and cancelled alerts go with every row of theirs; firing ones, unsent ones and hand-resolved ones stay")
    func resolvedAlerts() throws {
        let store = try Self.alerts()
        let firing = try #require(try store.alerts(state: "firing").first)
        let firingDeliveries = try store.deliveries(alertID: firing.id)
        let policy = Self.policy([.resolvedAlerts: .age(seconds: 90 * Self.day)])
        #expect(try store.prune(policy: policy, now: Self.t0 + 90 * Self.day).totalRows == 0, "a day short of 90 days: nothing")

        let report = try store.prune(policy: policy, now: Self.t0 + 100 * Self.day)
        // zip: 3 transitions (firing, acknowledged, resolved), 3 outbox rows, 3 deliveries,
        // 3 attempts, 1 ack, 1 note, the alert = 15; x: 2 transitions and the alert = 3.
        #expect(report.items[.resolvedAlerts] == 2 && report.rows[.resolvedAlerts] == 18)
        #expect(Set(try store.alerts().map(\.feature)) == ["age", "hand", "late"])
        #expect(try store.alerts(state: "firing").first == firing, "the firing alert keeps its transitions")
        #expect(try store.deliveries(alertID: firing.id) == firingDeliveries, "and its deliveries")
        #expect(try store.pendingOutbox().map(\.fingerprint.feature) == ["late"], "the unsent resolution is still there to send")
        #expect(try Self.count(store, "acks") == 0 && Self.count(store, "alert_notes") == 0)

        // Once the pipeline resolves the hand-resolved alert itself, and the late resolution
        // is sent, both go.
        try Self.commit(store, transitions: [Transitions.make("shop", "hand", "psi", .resolved, window: 5)], at: Self.t0 + 2 * Self.day)
        try Self.deliverAll(store, at: Self.t0 + 2 * Self.day)
        let again = try store.prune(policy: policy, now: Self.t0 + 100 * Self.day)
        #expect(again.items[.resolvedAlerts] == 2)
        #expect(try store.alerts().map(\.feature) == ["age"])
        #expect(try Self.count(store, "outbox") == 1 && Self.count(store, "deliveries") == 1 && Self.count(store, "delivery_attempts") == 1)
    }

    @Test("a count keeps the newest N resolved alerts")
    func resolvedAlertsByCount() throws {
        let store = try Self.alerts()
        // zip, x, hand and late were all last changed on day 1; ties go by id, so the newest
        // three are late, hand and x. zip goes; the newest count whether or not they could go.
        let report = try store.prune(policy: Self.policy([.resolvedAlerts: .newest(3)]), now: Self.t0)
        #expect(report.items[.resolvedAlerts] == 1 && report.rows[.resolvedAlerts] == 15)
        #expect(Set(try store.alerts().map(\.feature)) == ["age", "hand", "late"])
        #expect(try store.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM alerts WHERE state = 'cancelled'") } == 1, "x stays")
        let fewer = try store.prune(policy: Self.policy([.resolvedAlerts: .newest(1)]), now: Self.t0)
        #expect(fewer.items[.resolvedAlerts] == 1, "x goes; hand is resolved by hand, late unsent: both stay past their count")
    }

    @Test("settled deliveries of alerts no longer firing go; the alert, its transitions and an operator's rows stay")
    func deliveries() throws {
        let store = try Self.alerts()
        let before = try store.alerts()
        let report = try store.prune(policy: Self.policy([.deliveries: .age(seconds: 30 * Self.day)]), now: Self.t0 + 40 * Self.day)
        // zip: the firing and resolution outbox rows with a delivery and an attempt each (the
        // ack is an operator's and stays). hand: its firing row (its resolution by hand stays).
        // late: its firing row; its resolution is unsent, so nothing of late goes.
        #expect(report.items[.deliveries] == 3 && report.rows[.deliveries] == 9)
        let after = try store.alerts()
        #expect(after.map(\.transitions) == before.map(\.transitions), "every alert keeps its history")
        let zip = try #require(after.first { $0.feature == "zip" })
        #expect(try store.deliveries(alertID: zip.id).map(\.entry.kind) == [.acknowledged])
        let firing = try #require(after.first { $0.state == "firing" })
        #expect(try store.deliveries(alertID: firing.id).count == 1, "a firing alert keeps its deliveries")
    }

    @Test("dead letters and the audit log: by age, by count, or kept")
    func deadLettersAndAudit() throws {
        let store = try AlertStore()
        var pipeline = Pipeline(source: "t", monitors: [], rules: [:])
        for i in 0..<5 { Array("not json \(i)".utf8).withUnsafeBufferPointer { pipeline.ingest($0, position: SourcePosition(partition: 0, offset: Int64(i))) } }
        let output = pipeline.takeOutput()
        #expect(output.deadLetters.count == 5)
        var first = output, second = output
        first.deadLetters = Array(output.deadLetters[0..<2]); second.deadLetters = Array(output.deadLetters[2...])
        try store.commit(first, checkpoint: Transitions.checkpoint, source: "t", now: Self.t0)
        try store.commit(second, checkpoint: Transitions.checkpoint, source: "t", now: Self.t0 + 8 * Self.day)
        for i in 0..<4 { _ = try store.addSilence(matchers: ["model=m\(i)"], startsAt: 0, endsAt: 1, by: "ana", comment: "") }

        let kept = try store.prune(policy: Self.policy([.deadLetters: .age(seconds: 7 * Self.day)]), now: Self.t0 + 8 * Self.day)
        #expect(kept.rows == [.deadLetters: 2])
        #expect(try store.deadLetters().map(\.position) == [2, 3, 4])
        #expect(try store.auditLog().count == 4, "audit is kept unless configured")
        let counted = try store.prune(policy: Self.policy([.deadLetters: .newest(1), .audit: .newest(3)]), now: Self.t0)
        #expect(counted.rows == [.deadLetters: 2, .audit: 1])
        #expect(try store.deadLetters().map(\.position) == [4])
        #expect(try store.auditLog().map(\.detail).allSatisfy { !$0.contains("m0") }, "the oldest audit entry went")
    }

    @Test("rows stored before the upgrade get the migration's time: kept a full period after it")
    func migrationTime() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("s.sqlite").path
        do {
            // A store as the previous driftd left it (schema v3), with two reports.
            let pool = try DatabasePool(path: path)
            try StoreMigrations.migrator.migrate(pool, upTo: "v3: model states kept per model, not per source")
            try pool.write { db in
                for i in 1...2 {
                    try db.execute(sql: """
                        INSERT INTO window_reports (source, model, window_index, baseline_version, basis, start_bound, end_bound, record_count, status, body)
                        VALUES ('old', 'shop', ?, 'v1', 'count', 0, 100, 100, 'ok', x'00')
                        """, arguments: [i])
                }
            }
        }
        let before = AlertStore.now
        let store = try AlertStore(path: path)
        let after = AlertStore.now
        let times = try store.writer.read { db in try Double.fetchAll(db, sql: "SELECT committed_at FROM window_reports") }
        #expect(times.count == 2 && times.allSatisfy { $0 >= before - 1 && $0 <= after + 1 })
        let policy = Self.policy([.windowReports: .age(seconds: 7 * Self.day)])
        #expect(try store.prune(policy: policy, now: after + 6 * Self.day).totalRows == 0)
        #expect(try store.prune(policy: policy, now: after + 8 * Self.day).rows == [.windowReports: 1], "the newest stays")
        #expect(try store.autoVacuumMode() == .none, "a store created before keeps auto_vacuum NONE")
    }

    @Test("a new store shrinks after pruning; one created before reuses the pages instead")
    func fileShrinks() throws {
        let dir = try TemporaryDirectory()
        let reports = Self.reports(model: "shop", count: 40)
        func fill(_ store: AlertStore, day: Double) throws {
            for (i, r) in reports.enumerated() {
                try Self.commit(store, reports: [r], source: "d\(Int(day))-\(i)", at: Self.t0 + day * Self.day)
            }
        }
        let policy = Self.policy([.windowReports: .age(seconds: Self.day)])

        let fresh = try AlertStore(path: dir.url.appendingPathComponent("new.sqlite").path)
        #expect(try fresh.autoVacuumMode() == .incremental)
        try fresh.checkpointLog()
        let empty = fresh.fileSize(includingLog: false)
        try fill(fresh, day: 0)
        try fresh.checkpointLog()
        let full = fresh.fileSize(includingLog: false)
        let report = try fresh.prune(policy: policy, now: Self.t0 + 2 * Self.day)
        #expect(report.rows == [.windowReports: 39])
        #expect(report.vacuumedPages > 0)
        let pruned = fresh.fileSize(includingLog: false)
        // One report of forty is left: the file is back to within a tenth of its growth.
        #expect(pruned - empty < (full - empty) / 10, "the file gave back what pruning freed: \(empty) → \(full) → \(pruned) bytes")

        // A store an older driftd created, before stores used incremental auto_vacuum: its
        // schema up to v3, auto_vacuum NONE.
        let legacyPath = dir.url.appendingPathComponent("old.sqlite").path
        try StoreMigrations.migrator.migrate(try DatabasePool(path: legacyPath), upTo: StoreMigrations.migrator.migrations[2])
        let legacy = try AlertStore(path: legacyPath)
        #expect(try legacy.autoVacuumMode() == .none)
        try legacy.checkpointLog()
        let legacyEmpty = legacy.fileSize(includingLog: false)
        try fill(legacy, day: 0)
        try legacy.checkpointLog()
        let legacyFull = legacy.fileSize(includingLog: false)
        let legacyPruned = try legacy.prune(policy: policy, now: Self.t0 + 2 * Self.day)
        #expect(legacyPruned.rows == [.windowReports: 39] && legacyPruned.vacuumedPages == 0)
        try legacy.checkpointLog()
        #expect(legacy.fileSize(includingLog: false) == legacyFull, "the file keeps its size")
        try fill(legacy, day: 2)
        try legacy.checkpointLog()
        let refilled = legacy.fileSize(includingLog: false)
        #expect(refilled - legacyFull < (legacyFull - legacyEmpty) / 10,
                "the second day went into the pages the first one freed: \(legacyEmpty) → \(legacyFull) → \(refilled) bytes")
    }

    @Test("the notifier's read of pending outbox rows walks their index, not the whole outbox")
    func pendingOutboxIndexed() throws {
        let store = try AlertStore()
        let plan = try store.writer.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + AlertStore.pendingOutboxSQL, arguments: [10]).map { $0["detail"] as String }
        }
        // The partial index holds only pending rows: walking it is the work waiting.
        #expect(plan.contains("SCAN o USING INDEX outbox_pending"), "\(plan)")
        #expect(!plan.contains("SCAN o"), "no full scan of the outbox: \(plan)")
    }
}
