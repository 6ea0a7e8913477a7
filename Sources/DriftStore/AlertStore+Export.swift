import DriftCore
import Foundation
import GRDB

/// A half-open range of event time, `from ≤ t < to`, in epoch milliseconds; a nil bound is
/// open. Half-open so that consecutive exports (`--to` of one is `--from` of the next)
/// hold every window exactly once.
public struct EventTimeRange: Sendable, Equatable {
    public var from: Int64?
    public var to: Int64?
    public init(from: Int64? = nil, to: Int64? = nil) { self.from = from; self.to = to }
    public static let all = EventTimeRange()
    public var isUnbounded: Bool { from == nil && to == nil }
}

/// A window report as stored, with the source that fed it and its place in event time.
public struct StoredWindowReport: Sendable, Equatable {
    public var id: Int64
    public var source: String
    /// What export ranges select on: the start of an event-time (or calendar) window; for a
    /// count window, the event time of its first record; nil when the report has none (a
    /// count window whose records carry no timestamp, or one written by driftd before 0.14).
    public var eventTime: Int64?
    public var report: WindowReport
}

/// An alert with those of its transitions that fall in an export's range.
public struct ExportedAlert: Sendable, Equatable {
    /// The alert as it stands now; `transitions` holds the ones in the range, in order.
    public var alert: StoredAlert
    /// Per transition of `alert.transitions`, the event time of the window it was decided in
    /// (as ``StoredWindowReport/eventTime``); nil when that window's report is not stored.
    public var windowEventTimes: [Int64?]
}

/// What the store holds of a model, to explain an export that came out empty.
public struct ModelHoldings: Sendable, Equatable {
    public var windowReports: Int
    public var windowsWithoutEventTime: Int
    public var firstEventTime: Int64?
    public var lastEventTime: Int64?
    public var alerts: Int
    public var transitions: Int
    /// Every model with window reports or alerts, sorted.
    public var models: [String]
}

/// Reads for `driftd store export`: rows leave the store one at a time, in one read
/// transaction, so an export is one consistent snapshot however large it is and however
/// busy the writer (WAL: the writer goes on; the WAL cannot be reset until the read ends).
extension AlertStore {
    /// SQL for a window's place in event time (see ``StoredWindowReport/eventTime``).
    static func eventTimeSQL(_ table: String) -> String {
        "CASE WHEN \(table).basis = 'event_time' THEN \(table).start_bound ELSE \(table).first_event_ms END"
    }

    /// Calls `body` with each window report of `model` whose event time is in `range`, in
    /// window order; returns how many. With a bound given, windows without event time are
    /// left out (they have no place in time); with none, every window is.
    @discardableResult
    public func exportWindowReports(model: String, range: EventTimeRange = .all,
                                    _ body: (StoredWindowReport) throws -> Void) throws -> Int {
        try read { db in
            let time = Self.eventTimeSQL("w")
            let rows = try Row.fetchCursor(db, sql: """
                SELECT w.id AS id, w.source AS source, w.body AS body, \(time) AS event_time FROM window_reports w
                WHERE w.model = ?1 AND (?2 IS NULL OR \(time) >= ?2) AND (?3 IS NULL OR \(time) < ?3)
                ORDER BY w.window_index, w.id
                """, arguments: [model, range.from, range.to])
            var count = 0
            while let row = try rows.next() {
                try body(StoredWindowReport(id: row["id"], source: row["source"], eventTime: row["event_time"],
                                            report: try Self.decodeStored(WindowReport.self, row["body"])))
                count += 1
            }
            return count
        }
    }

    /// Calls `body` with each alert of `model` that has a transition in `range`, with those
    /// transitions (a transition's time is its window's event time), in the order the alerts
    /// were first raised; returns how many. Every alert is exported, including pending ones
    /// that never fired (state `cancelled`): a warehouse keeps the whole history. With a
    /// bound given, transitions whose window report is no longer stored are left out.
    @discardableResult
    public func exportAlerts(model: String, range: EventTimeRange = .all,
                             _ body: (ExportedAlert) throws -> Void) throws -> Int {
        try read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT * FROM (
                    SELECT a.*, t.id AS t_id, t.kind AS t_kind, t.from_state AS t_from, t.to_state AS t_to, t.severity AS t_severity,
                        t.value AS t_value, t.window_index AS t_window, t.created_at AS t_created,
                        (SELECT MIN(\(Self.eventTimeSQL("w"))) FROM window_reports w
                         WHERE w.model = a.model AND w.window_index = t.window_index) AS t_time
                    FROM alerts a JOIN alert_transitions t ON t.alert_id = a.id
                    WHERE a.model = ?1)
                WHERE (?2 IS NULL OR t_time >= ?2) AND (?3 IS NULL OR t_time < ?3)
                ORDER BY id, t_id
                """, arguments: [model, range.from, range.to])
            var count = 0
            var current: ExportedAlert? = nil
            while let row = try rows.next() {
                let id: Int64 = row["id"]
                if let c = current, c.alert.id != id {
                    try body(c)
                    count += 1
                    current = nil
                }
                if current == nil { current = ExportedAlert(alert: try StoredAlert(row: row), windowEventTimes: []) }
                current!.alert.transitions.append(StoredAlert.Transition(
                    id: row["t_id"], kind: row["t_kind"], from: row["t_from"], to: row["t_to"], severity: row["t_severity"],
                    value: row["t_value"], windowIndex: row["t_window"], createdAt: row["t_created"]))
                current!.windowEventTimes.append(row["t_time"])
            }
            if let c = current {
                try body(c)
                count += 1
            }
            return count
        }
    }

    /// What the store holds of `model` and which models it holds at all.
    public func holdings(model: String) throws -> ModelHoldings {
        try read { db in
            let time = Self.eventTimeSQL("window_reports")
            let windows = try Row.fetchOne(db, sql: """
                SELECT COUNT(*) AS n, COUNT(*) - COUNT(\(time)) AS untimed, MIN(\(time)) AS first, MAX(\(time)) AS last
                FROM window_reports WHERE model = ?
                """, arguments: [model])!
            let alerts = try Row.fetchOne(db, sql: """
                SELECT COUNT(DISTINCT a.id) AS n, COUNT(t.id) AS transitions
                FROM alerts a LEFT JOIN alert_transitions t ON t.alert_id = a.id WHERE a.model = ?
                """, arguments: [model])!
            let models = try String.fetchAll(db, sql: "SELECT model FROM window_reports UNION SELECT model FROM alerts ORDER BY model")
            return ModelHoldings(windowReports: windows["n"], windowsWithoutEventTime: windows["untimed"], firstEventTime: windows["first"],
                                 lastEventTime: windows["last"], alerts: alerts["n"], transitions: alerts["transitions"], models: models)
        }
    }
}
