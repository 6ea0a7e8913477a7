import DriftCore
import Foundation
import GRDB

// The core's row values as GRDB records: each reads itself from a row by its `Columns`, so
// the store's queries fetch typed values (`AlertNote.fetchAll(db, sql: …)`) and no query
// maps columns by hand. The enums of these rows (OutboxKind, DeliveryStatus) are stored as
// their text through DatabaseValueConvertible (StoreError.swift).

extension StoredAlert: FetchableRecord {
    enum Columns {
        static let id = Column("id"), fingerprint = Column("fingerprint"), model = Column("model"), feature = Column("feature")
        static let rule = Column("rule"), state = Column("state"), severity = Column("severity"), value = Column("value")
        static let startedWindow = Column("started_window"), updatedWindow = Column("updated_window"), updatedAt = Column("updated_at")
    }
    /// A row of `alerts`, without its transitions.
    public init(row: Row) throws {
        self.init(id: row[Columns.id], fingerprint: row[Columns.fingerprint], model: row[Columns.model], feature: row[Columns.feature],
                  rule: row[Columns.rule], state: row[Columns.state], severity: row[Columns.severity], value: row[Columns.value],
                  startedWindow: row[Columns.startedWindow], updatedWindow: row[Columns.updatedWindow], updatedAt: row[Columns.updatedAt])
    }
}

extension StoredAlert.Transition: FetchableRecord {
    enum Columns {
        static let id = Column("id"), kind = Column("kind"), from = Column("from_state"), to = Column("to_state")
        static let severity = Column("severity"), value = Column("value"), windowIndex = Column("window_index"), createdAt = Column("created_at")
    }
    public init(row: Row) throws {
        self.init(id: row[Columns.id], kind: row[Columns.kind], from: row[Columns.from], to: row[Columns.to], severity: row[Columns.severity],
                  value: row[Columns.value], windowIndex: row[Columns.windowIndex], createdAt: row[Columns.createdAt])
    }
}

extension StoredDeadLetter: FetchableRecord {
    enum Columns {
        static let id = Column("id"), source = Column("source"), partition = Column("partition"), position = Column("position")
        static let line = Column("line"), reason = Column("reason"), payload = Column("payload"), createdAt = Column("created_at")
    }
    public init(row: Row) throws {
        self.init(id: row[Columns.id], source: row[Columns.source], partition: row[Columns.partition], position: row[Columns.position],
                  line: row[Columns.line], reason: row[Columns.reason], payload: row[Columns.payload], createdAt: row[Columns.createdAt])
    }
}

extension AlertCount: FetchableRecord {
    enum Columns { static let state = Column("state"), severity = Column("severity"), count = Column("n") }
    public init(row: Row) throws { self.init(state: row[Columns.state], severity: row[Columns.severity], count: row[Columns.count]) }
}

extension BaselineSummary: FetchableRecord {
    enum Columns {
        static let model = Column("model"), version = Column("version"), createdAt = Column("created_at")
        static let active = Column("active"), recordCount = Column("record_count")
    }
    public init(row: Row) throws {
        self.init(model: row[Columns.model], version: row[Columns.version], createdAt: row[Columns.createdAt],
                  active: row[Columns.active], recordCount: row[Columns.recordCount])
    }
}

extension AcknowledgementRecord: FetchableRecord {
    enum Columns {
        static let alertID = Column("alert_id"), fingerprint = Column("fingerprint"), by = Column("by"), at = Column("at")
        static let note = Column("note"), expiresAt = Column("expires_at"), model = Column("model")
    }
    public init(row: Row) throws {
        self.init(alertID: row[Columns.alertID], fingerprint: row[Columns.fingerprint], by: row[Columns.by], at: row[Columns.at],
                  note: row[Columns.note], expiresAt: row[Columns.expiresAt], model: row[Columns.model])
    }
}

extension AlertNote: FetchableRecord {
    enum Columns { static let alertID = Column("alert_id"), by = Column("by"), at = Column("at"), text = Column("text") }
    public init(row: Row) throws { self.init(alertID: row[Columns.alertID], by: row[Columns.by], at: row[Columns.at], text: row[Columns.text]) }
}

extension DeliveryAttemptRecord: FetchableRecord {
    enum Columns { static let at = Column("at"), statusCode = Column("status_code"), error = Column("error"), isRepeat = Column("is_repeat") }
    public init(row: Row) throws {
        self.init(at: row[Columns.at], statusCode: row[Columns.statusCode], error: row[Columns.error], isRepeat: row[Columns.isRepeat])
    }
}

extension SilenceRecord: FetchableRecord {
    enum Columns {
        static let id = Column("id"), matchers = Column("matchers"), startsAt = Column("starts_at"), endsAt = Column("ends_at")
        static let createdBy = Column("created_by"), comment = Column("comment"), expired = Column("expired")
    }
    /// A row of `silences`; its matchers are stored as a JSON array of their text.
    public init(row: Row) throws {
        self.init(id: row[Columns.id], matchers: (try? AlertStore.decode([String].self, row[Columns.matchers])) ?? [], startsAt: row[Columns.startsAt],
                  endsAt: row[Columns.endsAt], createdBy: row[Columns.createdBy], comment: row[Columns.comment], expired: row[Columns.expired])
    }
}

extension AuditEntry: FetchableRecord {
    enum Columns {
        static let id = Column("id"), at = Column("at"), actor = Column("actor"), action = Column("action"), detail = Column("detail")
    }
    public init(row: Row) throws {
        self.init(id: row[Columns.id], at: row[Columns.at], actor: row[Columns.actor], action: row[Columns.action], detail: row[Columns.detail])
    }
}
