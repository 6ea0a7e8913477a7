import DriftCore
import Foundation
import GRDB

/// The store's side of the operator port: the queries of ``OperatorSnapshot`` on one open
/// read transaction. Made only inside ``AlertStore/read(_:)`` or ``AlertStore/snapshot(_:)``,
/// so every query of one response sees the same state of the file.
public struct StoreSnapshot: OperatorSnapshot {
    let db: Database

    public func alertPage(state: String?, model: String?, severity: String?, limit: Int, offset: Int) throws -> StorePage<StoredAlert> {
        let filter = """
            FROM alerts WHERE state != 'cancelled' AND (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR model = ?2)
            AND (?3 IS NULL OR severity = ?3)
            """
        return try page(StoredAlert.self, "*", filter, [state, model, severity], order: "updated_at DESC, id DESC", limit: limit, offset: offset)
    }

    /// A page of `Record`s: how many rows `filter` (a FROM … WHERE with ?1…?3) matches in all, and
    /// the `limit` of them from `offset` in `order`.
    private func page<Record: FetchableRecord & Sendable & Equatable>(_ type: Record.Type, _ columns: String, _ filter: String,
                                                                       _ arguments: StatementArguments, order: String,
                                                                       limit: Int, offset: Int) throws -> StorePage<Record> {
        let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) " + filter, arguments: arguments) ?? 0
        let items = try Record.fetchAll(db, sql: "SELECT \(columns) " + filter + " ORDER BY \(order) LIMIT ?4 OFFSET ?5",
                                        arguments: arguments + [limit, offset])
        return StorePage(total: total, items: items)
    }

    public func alert(id: Int64) throws -> StoredAlert? {
        guard var alert = try StoredAlert.fetchOne(db, sql: "SELECT * FROM alerts WHERE id = ?", arguments: [id]) else { return nil }
        alert.transitions = try AlertStore.transitions(db, alertID: id)
        return alert
    }

    public func alertCounts() throws -> [AlertCount] {
        try AlertCount.fetchAll(db, sql: """
            SELECT state, severity, COUNT(*) AS n FROM alerts WHERE state != 'cancelled' GROUP BY state, severity ORDER BY state, severity
            """)
    }

    public func firingAlertCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT model, COUNT(*) AS n FROM alerts WHERE state = 'firing' GROUP BY model") {
            counts[row["model"]] = row["n"]
        }
        return counts
    }

    public func modelIDs() throws -> [String] {
        try String.fetchAll(db, sql: "SELECT model FROM baselines UNION SELECT model FROM window_reports ORDER BY model")
    }

    public func baselines(model: String?) throws -> [BaselineSummary] {
        try BaselineSummary.fetchAll(db, sql: """
            SELECT model, version, created_at, active, record_count FROM baselines
            WHERE (? IS NULL OR model = ?) ORDER BY model, created_at
            """, arguments: [model, model])
    }

    public func windowReports(model: String, last: Int?) throws -> [WindowReport] {
        let bodies = try DatabaseValue.fetchAll(db, sql: """
            SELECT body FROM (SELECT body, id FROM window_reports WHERE model = ? ORDER BY id DESC LIMIT ?)
            ORDER BY id
            """, arguments: [model, last ?? -1])
        return try bodies.map { try AlertStore.decodeStored(WindowReport.self, $0) }
    }

    public func latestWindowReports() throws -> [String: WindowReport] {
        var latest: [String: WindowReport] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT w.model AS model, w.body AS body
            FROM (SELECT MAX(id) AS last FROM window_reports GROUP BY model) c JOIN window_reports w ON w.id = c.last
            """) {
            latest[row["model"]] = try AlertStore.decodeStored(WindowReport.self, row["body"])
        }
        return latest
    }

    public func windowSummaries(newerThan: Int64) throws -> [WindowSummary] {
        try Row.fetchAll(db, sql: """
            SELECT w.model AS model, c.n AS n, w.body AS body, c.last AS last
            FROM (SELECT model, COUNT(*) AS n, MAX(id) AS last FROM window_reports WHERE id > ? GROUP BY model) c
            JOIN window_reports w ON w.id = c.last ORDER BY w.model
            """, arguments: [newerThan]).map {
            WindowSummary(model: $0["model"], windows: $0["n"], latest: try AlertStore.decodeStored(WindowReport.self, $0["body"]), lastID: $0["last"])
        }
    }

    public func deadLetterPage(limit: Int, offset: Int) throws -> StorePage<StoredDeadLetter> {
        let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dead_letters") ?? 0
        let items = try StoredDeadLetter.fetchAll(db, sql: "SELECT * FROM dead_letters ORDER BY id LIMIT ? OFFSET ?", arguments: [limit, offset])
        return StorePage(total: total, items: items)
    }

    public func activeAcknowledgements(now: Double) throws -> [AcknowledgementRecord] {
        try AcknowledgementRecord.fetchAll(db, sql: """
            SELECT k.alert_id, a.fingerprint, a.model, k.by, k.at, k.note, k.expires_at FROM acks k JOIN alerts a ON a.id = k.alert_id
            WHERE a.state = 'firing' AND (k.expires_at IS NULL OR k.expires_at > ?)
              AND k.id = (SELECT MAX(id) FROM acks WHERE alert_id = k.alert_id)
              AND k.at >= COALESCE((SELECT MAX(created_at) FROM alert_transitions WHERE alert_id = k.alert_id AND kind = 'firing'), 0)
            ORDER BY k.alert_id
            """, arguments: [now])
    }

    public func notes(alertID: Int64) throws -> [AlertNote] {
        try AlertNote.fetchAll(db, sql: "SELECT alert_id, by, at, text FROM alert_notes WHERE alert_id = ? ORDER BY id", arguments: [alertID])
    }

    public func deliveries(alertID: Int64) throws -> [DeliveryRecord] {
        try deliveries(status: nil, alertID: alertID, limit: 10_000)
    }

    func deliveries(status: DeliveryStatus?, alertID: Int64?, limit: Int) throws -> [DeliveryRecord] {
        try Row.fetchAll(db, sql: AlertStore.deliverySelect + """
             WHERE (? IS NULL OR d.status = ?) AND (? IS NULL OR d.alert_id = ?) ORDER BY d.id LIMIT ?
            """, arguments: [status, status, alertID, alertID, limit]).map(AlertStore.deliveryRecord)
    }

    public func attempts(deliveryIDs: [Int64]) throws -> [Int64: [DeliveryAttemptRecord]] {
        guard !deliveryIDs.isEmpty else { return [:] }
        var attempts: [Int64: [DeliveryAttemptRecord]] = [:]
        // The ids are whole numbers of the store's own rows, so they go into the SQL as text.
        for row in try Row.fetchAll(db, sql: """
            SELECT delivery_id, at, status_code, error, is_repeat FROM delivery_attempts
            WHERE delivery_id IN (\(deliveryIDs.map(String.init).joined(separator: ","))) ORDER BY id
            """) {
            attempts[row["delivery_id"], default: []].append(try DeliveryAttemptRecord(row: row))
        }
        return attempts
    }

    public func silences(includeExpired: Bool, now: Double) throws -> [SilenceRecord] {
        try SilenceRecord.fetchAll(db, sql: "SELECT * FROM silences WHERE ? OR (expired = 0 AND ends_at > ?) ORDER BY id DESC",
                                   arguments: [includeExpired, now])
    }

    public func auditPage(actor: String?, action: String?, since: Double?, limit: Int, offset: Int) throws -> StorePage<AuditEntry> {
        // `action` is a prefix: "alert." is every alert action. LIKE's wildcards in it are literal.
        let prefix = action.map { $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%" }
        let filter = """
            FROM audit_log WHERE (?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR action LIKE ?2 ESCAPE '\\') AND (?3 IS NULL OR at >= ?3)
            """
        return try page(AuditEntry.self, "id, at, actor, action, detail", filter, [actor, prefix, since], order: "id DESC", limit: limit, offset: offset)
    }

    public func silence(id: Int64) throws -> SilenceRecord? {
        try SilenceRecord.fetchOne(db, sql: "SELECT * FROM silences WHERE id = ?", arguments: [id])
    }
}

extension AlertStore: OperatorReadModel, OperatorActions {
    /// One snapshot of the store for `body`, on GRDB's reader threads (the port's read).
    public func read<T: Sendable>(_ body: @escaping @Sendable (any OperatorSnapshot) throws -> T) async throws -> T {
        do { return try await writer.read { db in try body(StoreSnapshot(db: db)) } } catch { throw StoreError.from(error, store: path) }
    }

    /// One snapshot of the store for `body`, on the caller's thread (commands and tests).
    public func snapshot<T>(_ body: (StoreSnapshot) throws -> T) throws -> T {
        try read { db in try body(StoreSnapshot(db: db)) }
    }

    // The snapshot's queries most used outside the API, each on a snapshot of its own.
    public func alert(id: Int64) throws -> StoredAlert? { try snapshot { try $0.alert(id: id) } }
    public func alertCounts() throws -> [AlertCount] { try snapshot { try $0.alertCounts() } }
    public func baselines(model: String? = nil) throws -> [BaselineSummary] { try snapshot { try $0.baselines(model: model) } }
    public func windowReports(model: String, last: Int? = nil) throws -> [WindowReport] { try snapshot { try $0.windowReports(model: model, last: last) } }
    public func windowSummaries(newerThan: Int64 = 0) throws -> [WindowSummary] { try snapshot { try $0.windowSummaries(newerThan: newerThan) } }
    public func activeAcknowledgements(now: Double = AlertStore.now) throws -> [AcknowledgementRecord] { try snapshot { try $0.activeAcknowledgements(now: now) } }
    public func notes(alertID: Int64) throws -> [AlertNote] { try snapshot { try $0.notes(alertID: alertID) } }
    public func silences(includeExpired: Bool = false, now: Double = AlertStore.now) throws -> [SilenceRecord] {
        try snapshot { try $0.silences(includeExpired: includeExpired, now: now) }
    }
    /// Deliveries, oldest first, by status and alert.
    public func deliveries(status: DeliveryStatus? = nil, alertID: Int64? = nil, limit: Int = 10_000) throws -> [DeliveryRecord] {
        try snapshot { try $0.deliveries(status: status, alertID: alertID, limit: limit) }
    }
    public func attempts(deliveryID: Int64) throws -> [DeliveryAttemptRecord] { try snapshot { try $0.attempts(deliveryIDs: [deliveryID])[deliveryID] ?? [] } }
}

/// An alert's transitions, as the snapshot and the CLI's list read them.
extension AlertStore {
    /// An alert's transitions in the order they happened.
    static func transitions(_ db: Database, alertID: Int64) throws -> [StoredAlert.Transition] {
        try StoredAlert.Transition.fetchAll(db, sql: """
            SELECT id, kind, from_state, to_state, severity, value, window_index, created_at
            FROM alert_transitions WHERE alert_id = ? ORDER BY id
            """, arguments: [alertID])
    }
}
