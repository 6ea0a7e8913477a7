import DriftCore
import Foundation
import GRDB

extension AlertStore {
    /// One commit point: the window reports, alert transitions (with their outbox rows),
    /// dead letters, and the checkpoint, in a single transaction. `now` (seconds since 1970)
    /// stamps the rows; retention counts from it.
    public func commit(_ output: PipelineOutput, checkpoint: PipelineCheckpoint, source: String, now: Double = AlertStore.now) throws {
        // Encoding is pure per value and, at a thousand models, most of a commit point's cost:
        // it runs on every core.
        let reportBodies = try ResultSlots<Data>.map(output.reports, minimumPerTask: 8) { try Self.compact($0) }
        let reports = zip(output.reports, reportBodies).map { ($0, $1) }
        let changed = Array(checkpoint.models ?? [:])
        let modelBodies = try ResultSlots<Data>.map(changed, minimumPerTask: 8) { try Self.compact($0.value) }
        let models = zip(changed, modelBodies).map { ($0.key, $0.value.state.baselineVersion, $1) }
        var progress = checkpoint
        progress.models = nil; progress.monitors = nil; progress.alertBook = nil
        let checkpointBody = try Self.json(progress)
        try write { db in
            for (r, body) in reports {
                try db.execute(sql: """
                    INSERT INTO window_reports (source, model, window_index, baseline_version, basis, start_bound, end_bound,
                        first_event_ms, last_event_ms, record_count, status, body, committed_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [source, r.model, r.windowIndex, r.baselineVersion, r.basis.rawValue, r.start, r.end,
                                     r.firstEventTime, r.lastEventTime, r.recordCount, r.status.rawValue, body, now])
            }
            for t in output.transitions { try Self.record(t, db, now: now) }
            for d in output.deadLetters {
                try db.execute(sql: """
                    INSERT INTO dead_letters (source, partition, position, line, reason, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [d.source, d.position.partition, d.position.offset, d.line, d.reason, Data(d.payload), now])
            }
            try db.execute(sql: """
                INSERT INTO checkpoints (source, body, updated_at) VALUES (?, ?, ?)
                ON CONFLICT(source) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
                """, arguments: [source, checkpointBody, now])
            for (model, version, body) in models {
                try db.execute(sql: """
                    INSERT INTO model_states (model, baseline_version, source, body, updated_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(model) DO UPDATE SET baseline_version = excluded.baseline_version, source = excluded.source,
                        body = excluded.body, updated_at = excluded.updated_at
                    """, arguments: [model, version, source, body, now])
            }
        }
    }

    /// One alert transition: the alert's row (upserted, its id returned), the transition, and
    /// the outbox row that pages for it.
    static func record(_ t: AlertTransition, _ db: Database, now: Double) throws {
        let fp = t.fingerprint
        let state = t.to?.rawValue ?? "cancelled"
        // An operator resolved it by hand and the pipeline has not yet applied that
        // (it does at its next commit point): a severity change or the pipeline's own
        // resolution is recorded but neither reopens the alert nor pages again.
        if t.kind == .severityChanged || t.kind == .resolved,
           let current = try Row.fetchOne(db, sql: "SELECT id, state FROM alerts WHERE fingerprint = ?", arguments: [fp.description]),
           (current["state"] as String) == "resolved" {
            try db.execute(sql: """
                INSERT INTO alert_transitions (alert_id, fingerprint, kind, from_state, to_state, severity, value, window_index, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [current["id"] as Int64, fp.description, t.kind.rawValue, "resolved", "resolved", t.severity?.rawValue,
                                 t.value, t.windowIndex, now])
            return
        }
        // The upsert returns the alert's id, new or existing, in the same statement.
        guard let alertID = try Int64.fetchOne(db, sql: """
            INSERT INTO alerts (fingerprint, model, feature, rule, state, severity, value, started_window, updated_window, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(fingerprint) DO UPDATE SET state = excluded.state, severity = excluded.severity,
                value = excluded.value, updated_window = excluded.updated_window, updated_at = excluded.updated_at,
                started_window = CASE WHEN alerts.state IN ('resolved', 'cancelled') THEN excluded.started_window ELSE alerts.started_window END
            RETURNING id
            """, arguments: [fp.description, fp.model, fp.feature, fp.rule, state, t.severity?.rawValue, t.value,
                             t.windowIndex, t.windowIndex, now]) else {
            throw StoreError("the store did not return the id of alert \(fp) after writing it — run driftd store check", kind: .other)
        }
        try db.execute(sql: """
            INSERT INTO alert_transitions (alert_id, fingerprint, kind, from_state, to_state, severity, value, window_index, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [alertID, fp.description, t.kind.rawValue, t.from?.rawValue, t.to?.rawValue, t.severity?.rawValue,
                             t.value, t.windowIndex, now])
        if t.notifies {
            let transitionID = db.lastInsertedRowID
            try db.execute(sql: "INSERT INTO outbox (transition_id, payload, created_at) VALUES (?, ?, ?)",
                           arguments: [transitionID, try Self.json(t), now])
        }
    
    }

    /// Every model's stored state (open windows and alerts), whichever source last fed it.
    public func modelCheckpoints() throws -> [String: ModelCheckpoint] {
        try bodiesByModel(ModelCheckpoint.self, sql: "SELECT model, body FROM model_states")
    }

    /// The last checkpoint of a source, if any.
    public func checkpoint(source: String) throws -> PipelineCheckpoint? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT body FROM checkpoints WHERE source = ?", arguments: [source])
                .map { try Self.decode(PipelineCheckpoint.self, $0) }
        }
    }
}

extension AlertStore: CommitSink {
    public func commit(_ output: PipelineOutput, checkpoint: PipelineCheckpoint, source: String) throws {
        try commit(output, checkpoint: checkpoint, source: source, now: AlertStore.now)
    }
}

extension AlertStore: AlertStateReads {
    public func operatorResolved(among open: [AlertFingerprint: Int64]) throws -> [AlertFingerprint: Int64] {
        let byText = Dictionary(open.keys.map { ($0.description, $0) }, uniquingKeysWith: { a, _ in a })
        let texts = Array(byText.keys)
        return try read { db in
            var resolved: [AlertFingerprint: Int64] = [:]
            for start in stride(from: 0, to: texts.count, by: 500) {
                let chunk = Array(texts[start..<min(start + 500, texts.count)])
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchAll(db, sql: "SELECT fingerprint, started_window FROM alerts WHERE state = 'resolved' AND fingerprint IN (\(marks))",
                                            arguments: StatementArguments(chunk))
                for row in rows {
                    guard let fingerprint = byText[row["fingerprint"] as String], let since = row["started_window"] as Int64?,
                          open[fingerprint] == since else { continue }
                    resolved[fingerprint] = since
                }
            }
            return resolved
        }
    }
}
