import Foundation

// The rows the store holds, as the operator surface (CLI, HTTP API, dashboard, metrics) and
// the notifier read them. They live in the core, beside the ports that return them
// (OperatorReadModel.swift), so a reader of the store — DriftHTTP — needs the port and these
// values only, never the store's module. Times are seconds since 1970, as the store keeps them.

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
        public init(id: Int64, kind: String, from: String?, to: String?, severity: String?, value: Double, windowIndex: Int64, createdAt: Double) {
            self.id = id; self.kind = kind; self.from = from; self.to = to; self.severity = severity
            self.value = value; self.windowIndex = windowIndex; self.createdAt = createdAt
        }
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
    /// Filled for one alert (``OperatorSnapshot/alert(id:)``) and the CLI's list.
    public var transitions: [Transition]
    public init(id: Int64, fingerprint: String, model: String, feature: String, rule: String, state: String, severity: String?,
                value: Double, startedWindow: Int64, updatedWindow: Int64, updatedAt: Double, transitions: [Transition] = []) {
        self.id = id; self.fingerprint = fingerprint; self.model = model; self.feature = feature; self.rule = rule; self.state = state
        self.severity = severity; self.value = value; self.startedWindow = startedWindow; self.updatedWindow = updatedWindow
        self.updatedAt = updatedAt; self.transitions = transitions
    }
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
    public init(id: Int64, source: String, partition: Int32, position: Int64, line: Int64?, reason: String, payload: Data, createdAt: Double) {
        self.id = id; self.source = source; self.partition = partition; self.position = position; self.line = line
        self.reason = reason; self.payload = payload; self.createdAt = createdAt
    }
}

/// A page of rows and how many match in all.
public struct StorePage<Row: Sendable & Equatable>: Sendable, Equatable {
    public var total: Int
    public var items: [Row]
    public init(total: Int, items: [Row]) { self.total = total; self.items = items }
}

/// How many alerts are in one (state, severity).
public struct AlertCount: Sendable, Equatable {
    public var state: String
    public var severity: String?
    public var count: Int
    public init(state: String, severity: String?, count: Int) { self.state = state; self.severity = severity; self.count = count }
}

/// One stored baseline version, without its profiles.
public struct BaselineSummary: Sendable, Equatable {
    public var model: String
    public var version: String
    public var createdAt: Double
    public var active: Bool
    public var recordCount: Int
    public init(model: String, version: String, createdAt: Double, active: Bool, recordCount: Int) {
        self.model = model; self.version = version; self.createdAt = createdAt; self.active = active; self.recordCount = recordCount
    }
}

/// What a receiver is told of an alert: the transitions that page (the pipeline's firing,
/// severity changes and resolutions, and an operator's acknowledgement or resolution). Stored
/// as its text through GRDB, so the store and the notifier never re-parse strings.
public enum OutboxKind: String, Sendable, Codable, Equatable {
    case firing
    case severityChanged = "severity_changed"
    case resolved
    case acknowledged
}

/// Where one delivery (a transition for one receiver) stands.
public enum DeliveryStatus: String, Sendable, Codable, Equatable, CaseIterable {
    /// Waiting for its group, its rate limit or its next attempt.
    case pending
    case delivered
    /// Given up after the retry policy's cap, or refused for good by the receiver.
    case failed
    /// Not sent: silenced, inhibited, or its alert acknowledged or resolved first.
    case suppressed
}

/// A notifying transition waiting in the outbox, with what the notifier needs to route it.
public struct OutboxEntry: Sendable, Equatable {
    public var id: Int64
    public var transitionID: Int64
    public var alertID: Int64
    public var fingerprint: AlertFingerprint
    public var kind: OutboxKind
    public var severity: AlertSeverity?
    public var value: Double
    public var windowIndex: Int64
    /// Seconds since 1970.
    public var createdAt: Double
    /// Who acknowledged or resolved it by hand, and their note.
    public var by: String?
    public var note: String?
    public init(id: Int64, transitionID: Int64, alertID: Int64, fingerprint: AlertFingerprint, kind: OutboxKind, severity: AlertSeverity?,
                value: Double, windowIndex: Int64, createdAt: Double, by: String? = nil, note: String? = nil) {
        self.id = id; self.transitionID = transitionID; self.alertID = alertID; self.fingerprint = fingerprint; self.kind = kind
        self.severity = severity; self.value = value; self.windowIndex = windowIndex; self.createdAt = createdAt; self.by = by; self.note = note
    }
}

/// One outbox entry for one receiver.
public struct DeliveryRecord: Sendable, Equatable {
    public var id: Int64
    public var entry: OutboxEntry
    public var receiver: String
    public var route: String
    /// pending, delivered, failed or suppressed.
    public var status: DeliveryStatus
    public var attempts: Int
    public var nextAttemptAt: Double?
    public var lastError: String?
    public var dedupKey: String
    /// The kind of the last transition of this alert the receiver was told of before this
    /// delivery (nil: none), so a restarted notifier knows what the receiver knows.
    public var told: OutboxKind?
    /// When the status last changed (seconds since 1970): for a delivered one, when it arrived.
    public var updatedAt: Double
    public init(id: Int64, entry: OutboxEntry, receiver: String, route: String, status: DeliveryStatus, attempts: Int,
                nextAttemptAt: Double?, lastError: String?, dedupKey: String, told: OutboxKind?, updatedAt: Double) {
        self.id = id; self.entry = entry; self.receiver = receiver; self.route = route; self.status = status; self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt; self.lastError = lastError; self.dedupKey = dedupKey; self.told = told; self.updatedAt = updatedAt
    }
}

public struct DeliveryAttemptRecord: Sendable, Equatable {
    public var at: Double, statusCode: Int?, error: String?, isRepeat: Bool
    public init(at: Double, statusCode: Int?, error: String?, isRepeat: Bool) {
        self.at = at; self.statusCode = statusCode; self.error = error; self.isRepeat = isRepeat
    }
}

public struct AcknowledgementRecord: Sendable, Equatable {
    public var alertID: Int64, fingerprint: String, by: String, at: Double, note: String?, expiresAt: Double?
    /// The acknowledged alert's model.
    public var model: String
    public init(alertID: Int64, fingerprint: String, by: String, at: Double, note: String?, expiresAt: Double?, model: String = "") {
        self.alertID = alertID; self.fingerprint = fingerprint; self.by = by; self.at = at; self.note = note; self.expiresAt = expiresAt
        self.model = model
    }
}

public struct SilenceRecord: Sendable, Equatable {
    public var id: Int64
    /// Matchers as written: name=value, name!=value, name=~regex, name!~regex.
    public var matchers: [String]
    public var startsAt: Double, endsAt: Double
    public var createdBy: String, comment: String
    public var expired: Bool
    public init(id: Int64, matchers: [String], startsAt: Double, endsAt: Double, createdBy: String, comment: String, expired: Bool) {
        self.id = id; self.matchers = matchers; self.startsAt = startsAt; self.endsAt = endsAt
        self.createdBy = createdBy; self.comment = comment; self.expired = expired
    }
    public func isActive(at now: Double) -> Bool { !expired && startsAt <= now && now < endsAt }
}

public struct AlertNote: Sendable, Equatable {
    public var alertID: Int64, by: String, at: Double, text: String
    public init(alertID: Int64, by: String, at: Double, text: String) { self.alertID = alertID; self.by = by; self.at = at; self.text = text }
}

/// What one pruning deleted (or, in a dry run, would delete).
public struct PruneReport: Sendable, Equatable {
    /// Rows deleted per kind, every table counted: a resolved alert with two transitions, an
    /// outbox row, a delivery and its attempt is six rows.
    public var rows: [RetentionKind: Int] = [:]
    /// The kind's own items: window reports, alerts, outbox rows, dead letters, audit entries.
    public var items: [RetentionKind: Int] = [:]
    /// Pages incremental vacuum gave back to the file system.
    public var vacuumedPages = 0
    public var dryRun = false
    /// Whether it stopped early because it was asked to (the daemon stopping).
    public var interrupted = false

    public init() {}

    public var totalRows: Int { rows.values.reduce(0, +) }

    /// One line, e.g. "1200 window reports, 3 resolved alerts (17 rows), 40 deliveries (95 rows)".
    public var summary: String {
        let names: [RetentionKind: String] = [.windowReports: "window reports", .resolvedAlerts: "resolved alerts",
                                              .deliveries: "outbox rows with their deliveries", .deadLetters: "dead letters", .audit: "audit entries"]
        let parts = RetentionKind.allCases.compactMap { kind -> String? in
            let items = self.items[kind] ?? 0, rows = self.rows[kind] ?? 0
            guard rows > 0 else { return nil }
            return "\(items) \(names[kind]!)" + (rows != items ? " (\(rows) rows)" : "")
        }
        return parts.isEmpty ? "nothing" : parts.joined(separator: ", ")
    }
}


/// One line of the audit log: who did what to the store, when (seconds since 1970). Every
/// operator action, baseline fitted or activated, and pruning is one.
public struct AuditEntry: Sendable, Equatable {
    public var id: Int64
    public var at: Double, actor: String, action: String, detail: String
    public init(id: Int64 = 0, at: Double, actor: String, action: String, detail: String) {
        self.id = id; self.at = at; self.actor = actor; self.action = action; self.detail = detail
    }
}
