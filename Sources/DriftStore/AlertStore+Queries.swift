import DriftCore
import Foundation
import GRDB

public struct DeadLetterRecord: Sendable, Equatable {
    public var id: Int64, source: String, partition: Int32, position: Int64, line: Int64?, reason: String, payload: Data
}

extension AlertStore {
    /// Alerts (cancelled ones left out) in the order they started, each with its transitions.
    public func alerts(state: String? = nil, model: String? = nil) throws -> [StoredAlert] {
        try read { db in
            let alerts = try StoredAlert.fetchAll(db, sql: """
                SELECT * FROM alerts WHERE (? IS NULL OR state = ?) AND (? IS NULL OR model = ?) AND state != 'cancelled'
                ORDER BY started_window, model, feature, rule
                """, arguments: [state, state, model, model])
            return try alerts.map { alert in
                var alert = alert
                alert.transitions = try Self.transitions(db, alertID: alert.id)
                return alert
            }
        }
    }

    /// When each of the given event-time windows of a model starts (ms since 1970), from its
    /// report; count windows and windows without a report are absent.
    public func eventWindowStarts(model: String, windows: Set<Int64>) throws -> [Int64: Int64] {
        guard !windows.isEmpty else { return [:] }
        return try read { db in
            var starts: [Int64: Int64] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT window_index, MIN(start_bound) AS start FROM window_reports
                WHERE model = ? AND basis = 'event_time' AND window_index IN (\(windows.map(String.init).joined(separator: ",")))
                GROUP BY window_index
                """, arguments: [model]) {
                starts[row["window_index"]] = row["start"]
            }
            return starts
        }
    }

    /// Every transition in commit order (for comparing runs).
    public func transitionLog() throws -> [String] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT fingerprint, kind, from_state, to_state, severity, value, window_index FROM alert_transitions ORDER BY id")
                .map { r in
                    let v: Double = r["value"]
                    return "\(r["fingerprint"] as String) \(r["kind"] as String) \(r["from_state"] as String? ?? "-")→\(r["to_state"] as String? ?? "-") \(r["severity"] as String? ?? "-") \(v.bitPattern) @\(r["window_index"] as Int64)"
                }
        }
    }

    /// Every stored window report in order, as JSON (for comparing runs).
    public func windowReportBodies() throws -> [String] {
        try read { db in
            try DatabaseValue.fetchAll(db, sql: "SELECT body FROM window_reports ORDER BY model, id")
                .map { try Self.json(try Self.decodeStored(WindowReport.self, $0)) }
        }
    }

    public func deadLetters(limit: Int = 1000) throws -> [DeadLetterRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM dead_letters ORDER BY id LIMIT ?", arguments: [limit]).map {
                DeadLetterRecord(id: $0["id"], source: $0["source"], partition: $0["partition"], position: $0["position"],
                                 line: $0["line"], reason: $0["reason"], payload: $0["payload"])
            }
        }
    }

    public func deadLetterCount() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dead_letters") ?? 0 }
    }

    public func outboxCount() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? 0 }
    }
}
