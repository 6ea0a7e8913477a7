import DriftCore
import Foundation
import GRDB

/// SQLite's auto_vacuum mode of a store file.
public enum AutoVacuumMode: Int, Sendable {
    case none = 0, full = 1, incremental = 2
}

extension AlertStore {
    /// New stores give freed pages back to the file system when pruning runs
    /// `PRAGMA incremental_vacuum`. The mode can only be chosen while the file has no table;
    /// by then the pool has already written the file's first page (WAL mode), so the mode
    /// takes effect through a VACUUM of the empty file, which costs nothing. Stores created
    /// before keep auto_vacuum NONE: pruned pages are reused, the file does not shrink.
    static func useIncrementalAutoVacuum(_ writer: any DatabaseWriter) throws {
        try writer.writeWithoutTransaction { db in
            let tables = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master") ?? 0
            guard tables == 0, try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") != AutoVacuumMode.incremental.rawValue else { return }
            try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
            try db.execute(sql: "VACUUM")
        }
    }

    /// The store's auto_vacuum mode: only `.incremental` lets pruning shrink the file.
    public func autoVacuumMode() throws -> AutoVacuumMode {
        try read { db in AutoVacuumMode(rawValue: try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") ?? 0) ?? .none }
    }

    /// Bytes of the store on disk: the database file and (unless `includingLog` is false)
    /// its write-ahead log.
    public func fileSize(includingLog: Bool = true) -> Int64 {
        (includingLog ? [path, path + "-wal"] : [path]).reduce(0) { total, file in
            total + ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value ?? 0)
        }
    }

    /// Copies the write-ahead log into the database file and empties the log (a TRUNCATE
    /// checkpoint, which waits for readers), so the file's size says what the store holds.
    public func checkpointLog() throws {
        _ = try writer.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }

    /// Deletes what `policy` no longer keeps, as of `now` (seconds since 1970), in
    /// transactions of at most `batchSize` items each, so a daemon's commit point waits for
    /// one small batch at most, never for the whole pruning. A dry run counts instead.
    ///
    /// Never pruned, whatever the policy: alerts still firing or pending with their
    /// transitions and deliveries; anything the notifier has yet to send (an outbox row not
    /// yet routed, a pending delivery, and everything else of that alert, since the
    /// notifier's resumption reads the alert's earlier deliveries to know what its receivers
    /// were told); an alert resolved by hand that the pipeline has not resolved itself (its
    /// book still sees it firing: without the stored alert its next severity change would
    /// page again); an operator's acknowledgement or resolution outbox rows (they stay with
    /// their alert); the newest window report of each model; baselines, model states and
    /// checkpoints (never touched). `shouldStop` is asked between batches.
    public func prune(policy: RetentionPolicy, now: Double = AlertStore.now, dryRun: Bool = false, batchSize: Int = 1000,
                      shouldStop: () -> Bool = { false }) throws -> PruneReport {
        var report = PruneReport()
        report.dryRun = dryRun
        let batch = Swift.max(1, batchSize)
        func run(_ kind: RetentionKind, _ body: (Retention) throws -> (items: Int, rows: Int)) throws {
            let retention = policy[kind]
            guard retention != .keep, !report.interrupted else { return }
            let (items, rows) = try body(retention)
            report.items[kind, default: 0] += items
            report.rows[kind, default: 0] += rows
        }
        func stop() -> Bool {
            if shouldStop() { report.interrupted = true }
            return report.interrupted
        }
        // A window report costs twenty times an alert: smaller batches keep each transaction short.
        try run(.windowReports) { try pruneWindowReports($0, now: now, dryRun: dryRun, batch: Swift.max(1, batch / 2), stop: stop) }
        try run(.resolvedAlerts) { try pruneResolvedAlerts($0, now: now, dryRun: dryRun, batch: batch, nothingRoutes: policy.nothingRoutes, stop: stop) }
        try run(.deliveries) { try pruneDeliveries($0, now: now, dryRun: dryRun, batch: batch, stop: stop) }
        try run(.deadLetters) { try pruneByTime(table: "dead_letters", time: "created_at", $0, now: now, dryRun: dryRun, batch: batch, stop: stop) }
        try run(.audit) { try pruneByTime(table: "audit_log", time: "at", $0, now: now, dryRun: dryRun, batch: batch, stop: stop) }
        if !dryRun && report.totalRows > 0 && !report.interrupted { report.vacuumedPages = try vacuum(stop: stop) }
        return report
    }

    /// Gives freed pages back to the file system, a few megabytes per transaction, then lets
    /// the log's pages reach the file (a passive checkpoint never waits for readers), which is
    /// when the file shrinks. Nothing to do on a store without incremental auto_vacuum.
    func vacuum(stop: () -> Bool) throws -> Int {
        guard try autoVacuumMode() == .incremental else { return 0 }
        var pages = 0
        while !stop() {
            let free = try write { db -> Int in
                let before = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
                guard before > 0 else { return 0 }
                try db.execute(sql: "PRAGMA incremental_vacuum(2048)")
                return before - (try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0)
            }
            guard free > 0 else { break }
            pages += free
        }
        _ = try writer.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        return pages
    }

    // MARK: kinds

    /// Deletes the rows `condition` selects from `table` (or counts them in a dry run).
    static func apply(_ db: Database, dryRun: Bool, table: String, where condition: String, _ arguments: StatementArguments = []) throws -> Int {
        if dryRun { return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE \(condition)", arguments: arguments) ?? 0 }
        try db.execute(sql: "DELETE FROM \(table) WHERE \(condition)", arguments: arguments)
        return db.changesCount
    }

    static func idList(_ ids: [Int64]) -> String { ids.map(String.init).joined(separator: ",") }

    /// By age: reports committed before `now − age`, oldest first; by count: all but a
    /// model's newest N. A model's newest report stays either way (the dashboard and
    /// /metrics show it; an idle model keeps its last word).
    func pruneWindowReports(_ retention: Retention, now: Double, dryRun: Bool, batch: Int, stop: () -> Bool) throws -> (items: Int, rows: Int) {
        var total = 0
        switch retention {
        case .keep:
            return (0, 0)
        case .age(let seconds):
            let cutoff = now - seconds
            let notNewest = "id < (SELECT MAX(w2.id) FROM window_reports w2 WHERE w2.model = window_reports.model)"
            if dryRun {
                total = try read { db in
                    try Self.apply(db, dryRun: true, table: "window_reports", where: "committed_at < ? AND \(notNewest)", [cutoff])
                }
                return (total, total)
            }
            while !stop() {
                let n = try write { db -> Int in
                    let ids = try Int64.fetchAll(db, sql: """
                        SELECT id FROM window_reports WHERE committed_at < ? AND \(notNewest) ORDER BY committed_at, id LIMIT ?
                        """, arguments: [cutoff, batch])
                    guard !ids.isEmpty else { return 0 }
                    return try Self.apply(db, dryRun: false, table: "window_reports", where: "id IN (\(Self.idList(ids)))")
                }
                total += n
                if n < batch { break }
            }
        case .newest(let keep):
            var model = try read { db in try String.fetchOne(db, sql: "SELECT MIN(model) FROM window_reports") }
            while let m = model, !stop() {
                // The oldest report the model keeps; everything before it goes.
                let oldestKept = try read { db in
                    try Int64.fetchOne(db, sql: "SELECT id FROM window_reports WHERE model = ? ORDER BY id DESC LIMIT 1 OFFSET ?",
                                       arguments: [m, Swift.max(1, keep) - 1])
                }
                if let oldestKept {
                    if dryRun {
                        total += try read { db in try Self.apply(db, dryRun: true, table: "window_reports", where: "model = ? AND id < ?", [m, oldestKept]) }
                    } else {
                        while !stop() {
                            let n = try write { db in
                                try Self.apply(db, dryRun: false, table: "window_reports",
                                               where: "id IN (SELECT id FROM window_reports WHERE model = ? AND id < ? ORDER BY id LIMIT ?)", [m, oldestKept, batch])
                            }
                            total += n
                            if n < batch { break }
                        }
                    }
                }
                model = try read { db in try String.fetchOne(db, sql: "SELECT MIN(model) FROM window_reports WHERE model > ?", arguments: [m]) }
            }
        }
        return (total, total)
    }

    /// Conditions on alert `a` under which nothing of it may go: the notifier still has
    /// something of it to send.
    /// With no route configured nothing will send the outbox: only pending deliveries (of a
    /// route configured before) hold an alert back.
    static func notifierIsDone(nothingRoutes: Bool = false) -> String {
        let deliveriesDone = "NOT EXISTS (SELECT 1 FROM deliveries dp WHERE dp.alert_id = a.id AND dp.status = 'pending')"
        return nothingRoutes ? deliveriesDone : deliveriesDone + """

            AND NOT EXISTS (SELECT 1 FROM alert_transitions tp JOIN outbox op ON op.transition_id = tp.id
                            WHERE tp.alert_id = a.id AND op.status = 'pending')
            """
    }

    /// An operator's transitions carry who did it in their outbox payload; the pipeline's
    /// never have a `by` key.
    static func byOperator(_ outbox: String) -> String { "instr(\(outbox).payload, '\"by\":') > 0" }

    /// Resolved and cancelled alerts last changed before the cutoff (by count: all but the
    /// newest N), with everything that hangs off them.
    func pruneResolvedAlerts(_ retention: Retention, now: Double, dryRun: Bool, batch: Int, nothingRoutes: Bool = false,
                             stop: () -> Bool) throws -> (items: Int, rows: Int) {
        let handResolvedStillFiring = """
            a.state = 'resolved' AND COALESCE((SELECT \(Self.byOperator("oh")) FROM alert_transitions th
                LEFT JOIN outbox oh ON oh.transition_id = th.id
                WHERE th.alert_id = a.id AND th.kind = 'resolved' ORDER BY th.id DESC LIMIT 1), 0)
            """
        var old: String
        var arguments: StatementArguments
        switch retention {
        case .keep: return (0, 0)
        case .age(let seconds):
            old = "a.updated_at < ?"
            arguments = [now - seconds]
        case .newest(let keep):
            let threshold = try read { db in
                try Row.fetchOne(db, sql: """
                    SELECT updated_at, id FROM alerts WHERE state IN ('resolved', 'cancelled') ORDER BY updated_at DESC, id DESC LIMIT 1 OFFSET ?
                    """, arguments: [Swift.max(1, keep) - 1])
            }
            guard let threshold else { return (0, 0) }
            old = "(a.updated_at, a.id) < (?, ?)"
            arguments = [threshold["updated_at"] as Double, threshold["id"] as Int64]
        }
        return try batches(dryRun: dryRun, batch: batch, stop: stop, select: { db, cursor in
            try Int64.fetchAll(db, sql: """
                SELECT a.id FROM alerts a WHERE a.state IN ('resolved', 'cancelled') AND \(old) AND a.id > ?
                  AND \(Self.notifierIsDone(nothingRoutes: nothingRoutes)) AND NOT (\(handResolvedStillFiring))
                ORDER BY a.id LIMIT ?
                """, arguments: arguments + [cursor, batch])
        }, cascade: { db, ids, dryRun in
            let list = Self.idList(ids)
            var rows = 0
            rows += try Self.applyToDeliveries(db, dryRun: dryRun, where: "alert_id IN (\(list))")
            rows += try Self.apply(db, dryRun: dryRun, table: "outbox", where: "transition_id IN (SELECT id FROM alert_transitions WHERE alert_id IN (\(list)))")
            rows += try Self.apply(db, dryRun: dryRun, table: "alert_transitions", where: "alert_id IN (\(list))")
            rows += try Self.apply(db, dryRun: dryRun, table: "acks", where: "alert_id IN (\(list))")
            rows += try Self.apply(db, dryRun: dryRun, table: "alert_notes", where: "alert_id IN (\(list))")
            rows += try Self.apply(db, dryRun: dryRun, table: "alerts", where: "id IN (\(list))")
            return rows
        })
    }

    /// Outbox rows created before the cutoff (by count: all but the newest N) whose
    /// deliveries are settled, of alerts that are not firing, with their deliveries and
    /// attempts. The alert and its transitions stay.
    func pruneDeliveries(_ retention: Retention, now: Double, dryRun: Bool, batch: Int, stop: () -> Bool) throws -> (items: Int, rows: Int) {
        var old: String
        var arguments: StatementArguments
        switch retention {
        case .keep: return (0, 0)
        case .age(let seconds):
            let cutoff = now - seconds
            old = "o.created_at < ? AND NOT EXISTS (SELECT 1 FROM deliveries dn WHERE dn.outbox_id = o.id AND dn.updated_at >= ?)"
            arguments = [cutoff, cutoff]
        case .newest(let keep):
            let threshold = try read { db in
                try Int64.fetchOne(db, sql: "SELECT id FROM outbox ORDER BY id DESC LIMIT 1 OFFSET ?", arguments: [Swift.max(1, keep) - 1])
            }
            guard let threshold else { return (0, 0) }
            old = "o.id < ?"
            arguments = [threshold]
        }
        return try batches(dryRun: dryRun, batch: batch, stop: stop, select: { db, cursor in
            try Int64.fetchAll(db, sql: """
                SELECT o.id FROM outbox o JOIN alert_transitions t ON t.id = o.transition_id JOIN alerts a ON a.id = t.alert_id
                WHERE \(old) AND o.id > ? AND o.status != 'pending' AND a.state NOT IN ('firing', 'pending')
                  AND NOT (\(Self.byOperator("o"))) AND \(Self.notifierIsDone())
                ORDER BY o.id LIMIT ?
                """, arguments: arguments + [cursor, batch])
        }, cascade: { db, ids, dryRun in
            let list = Self.idList(ids)
            return try Self.applyToDeliveries(db, dryRun: dryRun, where: "outbox_id IN (\(list))")
                + Self.apply(db, dryRun: dryRun, table: "outbox", where: "id IN (\(list))")
        })
    }

    /// The deliveries matching `condition` with their attempts (attempts first: they point
    /// at their delivery).
    static func applyToDeliveries(_ db: Database, dryRun: Bool, where condition: String) throws -> Int {
        try apply(db, dryRun: dryRun, table: "delivery_attempts", where: "delivery_id IN (SELECT id FROM deliveries WHERE \(condition))")
            + apply(db, dryRun: dryRun, table: "deliveries", where: condition)
    }

    /// Dead letters or audit entries: by age of `time`, or all but the newest N.
    func pruneByTime(table: String, time: String, _ retention: Retention, now: Double, dryRun: Bool, batch: Int, stop: () -> Bool) throws -> (items: Int, rows: Int) {
        let condition: String, order: String
        let arguments: StatementArguments
        switch retention {
        case .keep: return (0, 0)
        case .age(let seconds):
            // Oldest first through the time index: a batch reads only what it deletes.
            condition = "\(time) < ?"
            order = time
            arguments = [now - seconds]
        case .newest(let keep):
            let threshold = try read { db in
                try Int64.fetchOne(db, sql: "SELECT id FROM \(table) ORDER BY id DESC LIMIT 1 OFFSET ?", arguments: [Swift.max(1, keep) - 1])
            }
            guard let threshold else { return (0, 0) }
            condition = "id < ?"
            order = "id"
            arguments = [threshold]
        }
        if dryRun {
            let n = try read { db in try Self.apply(db, dryRun: true, table: table, where: condition, arguments) }
            return (n, n)
        }
        var total = 0
        while !stop() {
            let n = try write { db in
                try Self.apply(db, dryRun: false, table: table, where: "id IN (SELECT id FROM \(table) WHERE \(condition) ORDER BY \(order) LIMIT ?)", arguments + [batch])
            }
            total += n
            if n < batch { break }
        }
        return (total, total)
    }

    /// Walks candidates in id order, one transaction per batch: `select` picks up to a batch
    /// of ids after the cursor (in the same transaction as the delete, so nothing changes
    /// between the check and the delete), `cascade` deletes (or counts) them and their rows.
    func batches(dryRun: Bool, batch: Int, stop: () -> Bool, select: @escaping (Database, Int64) throws -> [Int64],
                 cascade: @escaping (Database, [Int64], Bool) throws -> Int) throws -> (items: Int, rows: Int) {
        var cursor: Int64 = 0, items = 0, rows = 0
        while !stop() {
            let step = { (db: Database) throws -> (Int64?, Int, Int) in
                let ids = try select(db, cursor)
                guard let last = ids.last else { return (nil, 0, 0) }
                return (last, ids.count, try cascade(db, ids, dryRun))
            }
            let (last, n, r) = dryRun ? try writer.read(step) : try writer.write(step)
            items += n
            rows += r
            guard let last, n == batch else { break }
            cursor = last
        }
        return (items, rows)
    }
}

extension AlertStore {
    /// An operator's pruning, in the audit log: data deleted by hand is an operator action.
    public func recordPrune(_ report: PruneReport, actor: String) throws {
        try write { db in try Self.audit(db, actor: actor, action: "store.prune", detail: report.summary) }
    }
}
