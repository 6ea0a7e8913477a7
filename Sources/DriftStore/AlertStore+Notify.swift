import DriftCore
import Foundation
import GRDB

/// Where one outbox entry should go.
public struct DeliveryPlan: Sendable, Equatable {
    public var receiver: String
    public var route: String
    public var dedupKey: String
    public init(receiver: String, route: String, dedupKey: String) { self.receiver = receiver; self.route = route; self.dedupKey = dedupKey }
}

public struct DeliveryCount: Sendable, Equatable {
    public var receiver: String, status: String, count: Int
    public init(receiver: String, status: String, count: Int) { self.receiver = receiver; self.status = status; self.count = count }
}

/// How an attempt ended, for the stored deliveries it covered.
public enum DeliveryUpdate: Sendable, Equatable {
    case delivered
    /// Pending again; the next attempt is due at this time (seconds since 1970).
    case retry(at: Double)
    case failed(reason: String)
    /// An attempt at a repeat: logged, the deliveries keep their status.
    case logOnly
}

extension AlertStore {
    /// The wall clock in the store's unit (seconds since 1970); every function takes `now` so tests can set it.
    public static var now: Double { Date().timeIntervalSince1970 }

    // MARK: outbox → deliveries

    /// Outbox entries not yet routed, oldest first.
    public func pendingOutbox(limit: Int = 1000) throws -> [OutboxEntry] {
        try read { db in try Row.fetchAll(db, sql: Self.pendingOutboxSQL, arguments: [limit]).map(Self.outboxEntry) }
    }

    /// Read on every notifier tick: it walks the partial index of pending rows (v5), so
    /// its cost follows the work waiting, not the outbox's history.
    static let pendingOutboxSQL = """
        SELECT o.id, o.transition_id, o.payload, o.created_at, t.alert_id, t.kind, t.severity, t.value, t.window_index, a.model, a.feature, a.rule
        FROM outbox o JOIN alert_transitions t ON t.id = o.transition_id JOIN alerts a ON a.id = t.alert_id
        WHERE o.status = 'pending' ORDER BY o.id LIMIT ?
        """

    static func outboxEntry(_ r: Row) -> OutboxEntry {
        struct Extra: Decodable { var by: String?; var note: String? }
        let extra = (try? decode(Extra.self, r["payload"] as String)) ?? Extra()
        return OutboxEntry(id: r["id"], transitionID: r["transition_id"], alertID: r["alert_id"],
                           fingerprint: AlertFingerprint(model: r["model"], feature: r["feature"], rule: r["rule"]),
                           kind: OutboxKind(rawValue: r["kind"]) ?? .firing, severity: (r["severity"] as String?).flatMap(AlertSeverity.init(rawValue:)),
                           value: r["value"], windowIndex: r["window_index"], createdAt: r["created_at"], by: extra.by, note: extra.note)
    }

    /// The receivers (and the route that took them there) told, or being told, that an alert
    /// fired in the episode of a transition: they also hear the rest of the episode
    /// (severity changes, ack, resolution) even when the route no longer matches, e.g. a
    /// critical-only pager after the alert fell back to warning.
    public func receiversOfEpisode(_ entry: OutboxEntry) throws -> [(receiver: String, route: String)] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT d.receiver, MIN(d.route) AS route FROM deliveries d JOIN outbox o ON o.id = d.outbox_id
                JOIN alert_transitions t ON t.id = o.transition_id
                WHERE d.alert_id = ? AND t.kind IN ('firing', 'severity_changed') AND d.status IN ('delivered', 'pending')
                  AND t.id < ? AND t.id > COALESCE((SELECT MAX(t2.id) FROM alert_transitions t2
                                                    WHERE t2.alert_id = ? AND t2.kind = 'resolved' AND t2.id < ?), 0)
                GROUP BY d.receiver ORDER BY d.receiver
                """, arguments: [entry.alertID, entry.transitionID, entry.alertID, entry.transitionID]).map { ($0["receiver"], $0["route"]) }
        }
    }

    /// Creates the deliveries of an outbox entry (none: nobody is routed to) and marks the
    /// entry routed, in one transaction. Returns the delivery ids by receiver.
    @discardableResult
    public func route(outboxID: Int64, alertID: Int64, plans: [DeliveryPlan], now: Double = AlertStore.now) throws -> [String: Int64] {
        try write { db in
            var ids: [String: Int64] = [:]
            for p in plans where ids[p.receiver] == nil {
                try db.execute(sql: """
                    INSERT INTO deliveries (outbox_id, alert_id, receiver, route, dedup_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [outboxID, alertID, p.receiver, p.route, p.dedupKey, now, now])
                ids[p.receiver] = db.lastInsertedRowID
            }
            try db.execute(sql: "UPDATE outbox SET status = ? WHERE id = ?", arguments: [plans.isEmpty ? "unrouted" : "routed", outboxID])
            return ids
        }
    }

    static let deliverySelect = """
        SELECT d.id AS delivery_id, d.receiver, d.route, d.status, d.attempts, d.next_attempt_at, d.last_error, d.dedup_key, d.updated_at,
            o.id, o.transition_id, o.payload, o.created_at, t.alert_id, t.kind, t.severity, t.value, t.window_index, a.model, a.feature, a.rule,
            (SELECT t2.kind FROM deliveries d2 JOIN outbox o2 ON o2.id = d2.outbox_id JOIN alert_transitions t2 ON t2.id = o2.transition_id
             WHERE d2.alert_id = d.alert_id AND d2.receiver = d.receiver AND d2.status = 'delivered' AND d2.id < d.id
             ORDER BY d2.id DESC LIMIT 1) AS told
        FROM deliveries d JOIN outbox o ON o.id = d.outbox_id JOIN alert_transitions t ON t.id = o.transition_id
        JOIN alerts a ON a.id = t.alert_id
        """

    static func deliveryRecord(_ r: Row) -> DeliveryRecord {
        DeliveryRecord(id: r["delivery_id"], entry: outboxEntry(r), receiver: r["receiver"], route: r["route"], status: r["status"],
                       attempts: r["attempts"], nextAttemptAt: r["next_attempt_at"], lastError: r["last_error"],
                       dedupKey: r["dedup_key"], told: r["told"], updatedAt: r["updated_at"])
    }

    /// Deliveries not yet settled, oldest first: what a restarted notifier resumes.
    public func pendingDeliveries() throws -> [DeliveryRecord] {
        try deliveries(status: .pending)
    }

    /// For each alert still firing, the last delivery each receiver got of it: what a
    /// restarted notifier needs to keep repeating (or not repeating) what was already told.
    public func lastDeliveredOfFiringAlerts() throws -> [DeliveryRecord] {
        try read { db in
            try Row.fetchAll(db, sql: Self.deliverySelect + """
                 WHERE d.status = 'delivered' AND a.state = 'firing'
                   AND d.id = (SELECT MAX(d3.id) FROM deliveries d3 WHERE d3.alert_id = d.alert_id AND d3.receiver = d.receiver AND d3.status = 'delivered')
                 ORDER BY d.id
                """).map(Self.deliveryRecord)
        }
    }

    /// Deliveries by receiver and status (for metrics: deliveries and failures by receiver).
    public func deliveryCounts() throws -> [DeliveryCount] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT receiver, status, COUNT(*) AS n FROM deliveries GROUP BY receiver, status ORDER BY receiver, status")
                .map { DeliveryCount(receiver: $0["receiver"], status: $0["status"], count: $0["n"]) }
        }
    }

    /// Records one attempt that covered these deliveries and settles or reschedules them.
    public func recordAttempt(deliveryIDs: [Int64], at: Double = AlertStore.now, statusCode: Int?, error: String?, update: DeliveryUpdate) throws {
        try write { db in
            for id in deliveryIDs {
                try db.execute(sql: "INSERT INTO delivery_attempts (delivery_id, at, status_code, error, is_repeat) VALUES (?, ?, ?, ?, ?)",
                               arguments: [id, at, statusCode, error, update == .logOnly])
                switch update {
                case .delivered:
                    try db.execute(sql: """
                        UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, next_attempt_at = NULL, updated_at = ? WHERE id = ?
                        """, arguments: [at, id])
                case .retry(let next):
                    try db.execute(sql: """
                        UPDATE deliveries SET status = 'pending', attempts = attempts + 1, next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ?
                        """, arguments: [next, error, at, id])
                case .failed(let reason):
                    try db.execute(sql: """
                        UPDATE deliveries SET status = 'failed', attempts = attempts + 1, next_attempt_at = NULL, last_error = ?, updated_at = ? WHERE id = ?
                        """, arguments: [reason, at, id])
                case .logOnly:
                    break
                }
            }
        }
    }

    /// Settles deliveries nobody needs to receive (e.g. a resolution of an alert the receiver
    /// never heard fire).
    public func suppress(deliveryIDs: [Int64], reason: String, now: Double = AlertStore.now) throws {
        try write { db in
            for id in deliveryIDs {
                try db.execute(sql: "UPDATE deliveries SET status = 'suppressed', last_error = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
                               arguments: [reason, now, id])
            }
        }
    }

    // MARK: operator actions

    static func alertRow(_ db: Database, _ id: Int64) throws -> Row {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM alerts WHERE id = ?", arguments: [id]) else {
            throw StoreError("no alert \(id) — driftd alerts lists the alerts and their ids", kind: .notFound)
        }
        return row
    }

    /// Appends an operator's transition and its outbox row (so receivers hear of it).
    static func operatorTransition(_ db: Database, alert: Row, kind: String, to: String, by: String, note: String?, now: Double) throws {
        try db.execute(sql: """
            INSERT INTO alert_transitions (alert_id, fingerprint, kind, from_state, to_state, severity, value, window_index, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [alert["id"], alert["fingerprint"], kind, alert["state"], to, alert["severity"], alert["value"],
                             alert["updated_window"], now])
        let payload: [String: String?] = ["kind": kind, "fingerprint": alert["fingerprint"], "by": by, "note": note]
        try db.execute(sql: "INSERT INTO outbox (transition_id, payload, created_at) VALUES (?, ?, ?)",
                       arguments: [db.lastInsertedRowID, try json(payload.compactMapValues { $0 }), now])
    }

    /// Acknowledges a firing alert: no repeats until it resolves or the ack expires; receivers
    /// that were paged are told (PagerDuty `acknowledge`). Audited.
    public func acknowledge(alertID: Int64, by: String, note: String? = nil, expiresAt: Double? = nil, now: Double = AlertStore.now) throws {
        try write { db in
            let alert = try Self.alertRow(db, alertID)
            let state: String = alert["state"]
            guard state == "firing" else {
                throw StoreError("alert \(alertID) is \(state), not firing — only a firing alert can be acknowledged")
            }
            try db.execute(sql: "INSERT INTO acks (alert_id, by, at, note, expires_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [alertID, by, now, note, expiresAt])
            try Self.operatorTransition(db, alert: alert, kind: "acknowledged", to: "firing", by: by, note: note, now: now)
            try Self.audit(db, actor: by, action: "alert.ack",
                           detail: "alert \(alertID) \(alert["fingerprint"] as String)" + (expiresAt.map { " until \($0)" } ?? "") + (note.map { ": \($0)" } ?? ""))
        }
    }

    /// Resolves an alert by hand; receivers that were paged are told. Audited.
    public func resolve(alertID: Int64, by: String, note: String? = nil, now: Double = AlertStore.now) throws {
        try write { db in
            let alert = try Self.alertRow(db, alertID)
            let state: String = alert["state"]
            guard state == "firing" || state == "pending" else {
                throw StoreError("alert \(alertID) is already \(state)")
            }
            try Self.operatorTransition(db, alert: alert, kind: "resolved", to: "resolved", by: by, note: note, now: now)
            try db.execute(sql: "UPDATE alerts SET state = 'resolved', updated_at = ? WHERE id = ?", arguments: [now, alertID])
            try Self.audit(db, actor: by, action: "alert.resolve", detail: "alert \(alertID) \(alert["fingerprint"] as String)" + (note.map { ": \($0)" } ?? ""))
        }
    }

    /// Adds a note to an alert. Audited.
    public func addNote(alertID: Int64, by: String, text: String, now: Double = AlertStore.now) throws {
        try write { db in
            let alert = try Self.alertRow(db, alertID)
            try db.execute(sql: "INSERT INTO alert_notes (alert_id, by, at, text) VALUES (?, ?, ?, ?)", arguments: [alertID, by, now, text])
            try Self.audit(db, actor: by, action: "alert.note", detail: "alert \(alertID) \(alert["fingerprint"] as String): \(text)")
        }
    }

    /// Adds a silence; returns its id. Audited.
    public func addSilence(matchers: [String], startsAt: Double, endsAt: Double, by: String, comment: String, now: Double = AlertStore.now) throws -> Int64 {
        guard !matchers.isEmpty else { throw StoreError("a silence needs at least one matcher, e.g. --matcher model=shop", kind: .invalidRequest) }
        guard endsAt > startsAt else { throw StoreError("a silence must end after it starts", kind: .invalidRequest) }
        return try write { db in
            try db.execute(sql: """
                INSERT INTO silences (matchers, starts_at, ends_at, created_by, comment, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [try Self.json(matchers), startsAt, endsAt, by, comment, now])
            let id = db.lastInsertedRowID
            try Self.audit(db, actor: by, action: "silence.add",
                           detail: "silence \(id) \(matchers.joined(separator: ",")) from \(startsAt) to \(endsAt)" + (comment.isEmpty ? "" : ": \(comment)"))
            return id
        }
    }

    /// Ends a silence now. Audited.
    public func expireSilence(id: Int64, by: String, now: Double = AlertStore.now) throws {
        try write { db in
            guard try Row.fetchOne(db, sql: "SELECT id FROM silences WHERE id = ?", arguments: [id]) != nil else {
                throw StoreError("no silence \(id) — driftd silence list shows them", kind: .notFound)
            }
            try db.execute(sql: "UPDATE silences SET expired = 1, ends_at = MIN(ends_at, ?) WHERE id = ?", arguments: [now, id])
            try Self.audit(db, actor: by, action: "silence.expire", detail: "silence \(id)")
        }
    }
}
