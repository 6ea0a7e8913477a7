import DriftCore
import Foundation
import GRDB

/// An alert as operators see it, with the windows where it changed.
public struct AlertRecord: Sendable, Equatable {
    public struct Change: Sendable, Equatable {
        public var kind: String, from: String?, to: String?, severity: String?, value: Double, windowIndex: Int64
    }
    public var id: Int64
    public var model: String
    public var feature: String
    public var rule: String
    public var state: String
    public var severity: String?
    public var value: Double
    public var startedWindow: Int64
    public var updatedWindow: Int64
    public var transitions: [Change]
}

public struct DeadLetterRecord: Sendable, Equatable {
    public var id: Int64, source: String, partition: Int32, position: Int64, line: Int64?, reason: String, payload: Data
}

extension AlertStore {
    public func alerts(state: String? = nil, model: String? = nil) throws -> [AlertRecord] {
        try writer.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM alerts WHERE (? IS NULL OR state = ?) AND (? IS NULL OR model = ?) AND state != 'cancelled'
                ORDER BY started_window, model, feature, rule
                """, arguments: [state, state, model, model])
            return try rows.map { row in
                let id: Int64 = row["id"]
                let changes = try Row.fetchAll(db, sql: """
                    SELECT kind, from_state, to_state, severity, value, window_index FROM alert_transitions WHERE alert_id = ? ORDER BY id
                    """, arguments: [id]).map {
                    AlertRecord.Change(kind: $0["kind"], from: $0["from_state"], to: $0["to_state"], severity: $0["severity"],
                                       value: $0["value"], windowIndex: $0["window_index"])
                }
                return AlertRecord(id: id, model: row["model"], feature: row["feature"], rule: row["rule"], state: row["state"],
                                   severity: row["severity"], value: row["value"], startedWindow: row["started_window"],
                                   updatedWindow: row["updated_window"], transitions: changes)
            }
        }
    }

    /// The latest `last` window reports of a model, oldest first.
    public func windowReports(model: String, last: Int? = nil) throws -> [WindowReport] {
        try writer.read { db in
            let bodies = try String.fetchAll(db, sql: """
                SELECT body FROM (SELECT body, id FROM window_reports WHERE model = ? ORDER BY id DESC LIMIT ?)
                ORDER BY id
                """, arguments: [model, last ?? -1])
            return try bodies.map { try Self.decode(WindowReport.self, $0) }
        }
    }

    /// Every transition in commit order (for comparing runs).
    public func transitionLog() throws -> [String] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT fingerprint, kind, from_state, to_state, severity, value, window_index FROM alert_transitions ORDER BY id")
                .map { r in
                    let v: Double = r["value"]
                    return "\(r["fingerprint"] as String) \(r["kind"] as String) \(r["from_state"] as String? ?? "-")→\(r["to_state"] as String? ?? "-") \(r["severity"] as String? ?? "-") \(v.bitPattern) @\(r["window_index"] as Int64)"
                }
        }
    }

    /// Every stored window report body in order (for comparing runs).
    public func windowReportBodies() throws -> [String] {
        try writer.read { db in try String.fetchAll(db, sql: "SELECT body FROM window_reports ORDER BY model, id") }
    }

    public func deadLetters(limit: Int = 1000) throws -> [DeadLetterRecord] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM dead_letters ORDER BY id LIMIT ?", arguments: [limit]).map {
                DeadLetterRecord(id: $0["id"], source: $0["source"], partition: $0["partition"], position: $0["position"],
                                 line: $0["line"], reason: $0["reason"], payload: $0["payload"])
            }
        }
    }

    public func deadLetterCount() throws -> Int {
        try writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dead_letters") ?? 0 }
    }

    public func outboxCount() throws -> Int {
        try writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? 0 }
    }
}
