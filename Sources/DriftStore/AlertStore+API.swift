import DriftCore
import Foundation
import GRDB

/// An alert as operators see it (CLI and API): its fingerprint, when it last changed, and
/// (for one alert, or the CLI's list) every transition.
public struct StoredAlert: Sendable, Equatable {
    public struct Transition: Sendable, Equatable {
        public var id: Int64
        public var kind: String
        public var from: String?
        public var to: String?
        public var severity: String?
        public var value: Double
        public var windowIndex: Int64
        public var createdAt: Double
    }
    public var id: Int64
    public var fingerprint: String
    public var model: String
    /// "" for a model-level rule.
    public var feature: String
    public var rule: String
    public var state: String
    public var severity: String?
    public var value: Double
    public var startedWindow: Int64
    public var updatedWindow: Int64
    public var updatedAt: Double
    /// Filled by ``AlertStore/alert(id:)`` and ``AlertStore/alerts(state:model:)``.
    public var transitions: [Transition]
}

/// A dead letter with when it was stored.
public struct StoredDeadLetter: Sendable, Equatable {
    public var id: Int64
    public var source: String
    public var partition: Int32
    public var position: Int64
    public var line: Int64?
    public var reason: String
    public var payload: Data
    public var createdAt: Double
}

/// A page of rows and how many match in all.
public struct StorePage<Row: Sendable & Equatable>: Sendable, Equatable {
    public var total: Int
    public var items: [Row]
}

/// Read queries of the HTTP API: paged, filtered, and never a write.
extension AlertStore {
    /// Alerts matching every given filter, newest change first; cancelled (pending that never
    /// fired) alerts are not shown.
    public func alertPage(state: String? = nil, model: String? = nil, severity: String? = nil,
                          limit: Int, offset: Int) throws -> StorePage<StoredAlert> {
        try read { db in
            let filter = """
                FROM alerts WHERE state != 'cancelled' AND (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR model = ?2)
                AND (?3 IS NULL OR severity = ?3)
                """
            let arguments: StatementArguments = [state, model, severity]
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) " + filter, arguments: arguments) ?? 0
            let rows = try Row.fetchAll(db, sql: "SELECT * " + filter + " ORDER BY updated_at DESC, id DESC LIMIT ?4 OFFSET ?5",
                                        arguments: arguments + [limit, offset])
            return StorePage(total: total, items: rows.map(Self.storedAlert))
        }
    }

    /// One alert with its transitions in order, or nil.
    public func alert(id: Int64) throws -> StoredAlert? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM alerts WHERE id = ?", arguments: [id]) else { return nil }
            var alert = Self.storedAlert(row)
            alert.transitions = try Self.transitions(db, alertID: id)
            return alert
        }
    }

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

    /// How many alerts are in each (state, severity); severity nil for resolved ones.
    public func alertCounts() throws -> [AlertCount] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT state, severity, COUNT(*) AS n FROM alerts WHERE state != 'cancelled' GROUP BY state, severity ORDER BY state, severity
                """).map { AlertCount(state: $0["state"], severity: $0["severity"], count: $0["n"]) }
        }
    }

    public struct AlertCount: Sendable, Equatable {
        public var state: String
        public var severity: String?
        public var count: Int
        public init(state: String, severity: String?, count: Int) { self.state = state; self.severity = severity; self.count = count }
    }

    /// Every model the store knows: with a baseline or with window reports, sorted.
    public func modelIDs() throws -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT model FROM baselines UNION SELECT model FROM window_reports ORDER BY model")
        }
    }

    /// Firing alerts per model.
    public func firingAlertCounts() throws -> [String: Int] {
        try read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT model, COUNT(*) AS n FROM alerts WHERE state = 'firing' GROUP BY model") {
                counts[row["model"]] = row["n"]
            }
            return counts
        }
    }

    /// A page of dead letters, oldest first.
    public func deadLetterPage(limit: Int, offset: Int) throws -> StorePage<StoredDeadLetter> {
        try read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dead_letters") ?? 0
            let items = try Row.fetchAll(db, sql: "SELECT * FROM dead_letters ORDER BY id LIMIT ? OFFSET ?", arguments: [limit, offset]).map {
                StoredDeadLetter(id: $0["id"], source: $0["source"], partition: $0["partition"], position: $0["position"],
                                 line: $0["line"], reason: $0["reason"], payload: $0["payload"], createdAt: $0["created_at"])
            }
            return StorePage(total: total, items: items)
        }
    }

    /// Whether the store answers a read (readiness).
    public func ping() throws {
        _ = try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master") }
    }

    static func storedAlert(_ row: Row) -> StoredAlert {
        StoredAlert(id: row["id"], fingerprint: row["fingerprint"], model: row["model"], feature: row["feature"], rule: row["rule"],
                    state: row["state"], severity: row["severity"], value: row["value"], startedWindow: row["started_window"],
                    updatedWindow: row["updated_window"], updatedAt: row["updated_at"], transitions: [])
    }
}
