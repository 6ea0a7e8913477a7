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
        let arguments: StatementArguments = [state, model, severity]
        let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) " + filter, arguments: arguments) ?? 0
        let rows = try Row.fetchAll(db, sql: "SELECT * " + filter + " ORDER BY updated_at DESC, id DESC LIMIT ?4 OFFSET ?5",
                                    arguments: arguments + [limit, offset])
        return StorePage(total: total, items: rows.map(AlertStore.storedAlert))
    }

    public func alert(id: Int64) throws -> StoredAlert? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM alerts WHERE id = ?", arguments: [id]) else { return nil }
        var alert = AlertStore.storedAlert(row)
        alert.transitions = try AlertStore.transitions(db, alertID: id)
        return alert
    }

    public func alertCounts() throws -> [AlertCount] {
        try Row.fetchAll(db, sql: """
            SELECT state, severity, COUNT(*) AS n FROM alerts WHERE state != 'cancelled' GROUP BY state, severity ORDER BY state, severity
            """).map { AlertCount(state: $0["state"], severity: $0["severity"], count: $0["n"]) }
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
        let rows = try Row.fetchAll(db, sql: """
            SELECT model, version, created_at, active, record_count FROM baselines
            WHERE (? IS NULL OR model = ?) ORDER BY model, created_at
            """, arguments: [model, model])
        return rows.map { BaselineSummary(model: $0["model"], version: $0["version"], createdAt: $0["created_at"],
                                          active: $0["active"], recordCount: $0["record_count"]) }
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
        let items = try Row.fetchAll(db, sql: "SELECT * FROM dead_letters ORDER BY id LIMIT ? OFFSET ?", arguments: [limit, offset]).map {
            StoredDeadLetter(id: $0["id"], source: $0["source"], partition: $0["partition"], position: $0["position"],
                             line: $0["line"], reason: $0["reason"], payload: $0["payload"], createdAt: $0["created_at"])
        }
        return StorePage(total: total, items: items)
    }

    public func activeAcknowledgements(now: Double) throws -> [AcknowledgementRecord] {
        try Row.fetchAll(db, sql: """
            SELECT k.alert_id, a.fingerprint, k.by, k.at, k.note, k.expires_at FROM acks k JOIN alerts a ON a.id = k.alert_id
            WHERE a.state = 'firing' AND (k.expires_at IS NULL OR k.expires_at > ?)
              AND k.id = (SELECT MAX(id) FROM acks WHERE alert_id = k.alert_id)
              AND k.at >= COALESCE((SELECT MAX(created_at) FROM alert_transitions WHERE alert_id = k.alert_id AND kind = 'firing'), 0)
            ORDER BY k.alert_id
            """, arguments: [now]).map {
            AcknowledgementRecord(alertID: $0["alert_id"], fingerprint: $0["fingerprint"], by: $0["by"], at: $0["at"],
                                  note: $0["note"], expiresAt: $0["expires_at"])
        }
    }

    public func notes(alertID: Int64) throws -> [AlertNote] {
        try Row.fetchAll(db, sql: "SELECT alert_id, by, at, text FROM alert_notes WHERE alert_id = ? ORDER BY id", arguments: [alertID]).map {
            AlertNote(alertID: $0["alert_id"], by: $0["by"], at: $0["at"], text: $0["text"])
        }
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
            attempts[row["delivery_id"], default: []].append(
                DeliveryAttemptRecord(at: row["at"], statusCode: row["status_code"], error: row["error"], isRepeat: row["is_repeat"]))
        }
        return attempts
    }

    public func silences(includeExpired: Bool, now: Double) throws -> [SilenceRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM silences WHERE ? OR (expired = 0 AND ends_at > ?) ORDER BY id DESC",
                         arguments: [includeExpired, now]).map(Self.silence)
    }

    public func silence(id: Int64) throws -> SilenceRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM silences WHERE id = ?", arguments: [id]).map(Self.silence)
    }

    static func silence(_ row: Row) -> SilenceRecord {
        SilenceRecord(id: row["id"], matchers: (try? AlertStore.decode([String].self, row["matchers"])) ?? [], startsAt: row["starts_at"],
                      endsAt: row["ends_at"], createdBy: row["created_by"], comment: row["comment"], expired: row["expired"])
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

/// Rows of the alerts tables as the core's values.
extension AlertStore {
    /// An alert's transitions in the order they happened.
    static func transitions(_ db: Database, alertID: Int64) throws -> [StoredAlert.Transition] {
        try Row.fetchAll(db, sql: """
            SELECT id, kind, from_state, to_state, severity, value, window_index, created_at
            FROM alert_transitions WHERE alert_id = ? ORDER BY id
            """, arguments: [alertID]).map {
            StoredAlert.Transition(id: $0["id"], kind: $0["kind"], from: $0["from_state"], to: $0["to_state"], severity: $0["severity"],
                                   value: $0["value"], windowIndex: $0["window_index"], createdAt: $0["created_at"])
        }
    }

    static func storedAlert(_ row: Row) -> StoredAlert {
        StoredAlert(id: row["id"], fingerprint: row["fingerprint"], model: row["model"], feature: row["feature"], rule: row["rule"],
                    state: row["state"], severity: row["severity"], value: row["value"], startedWindow: row["started_window"],
                    updatedWindow: row["updated_window"], updatedAt: row["updated_at"], transitions: [])
    }
}
