/// The operator surface's port to the store: what the HTTP API, the dashboard and `/metrics`
/// read. The store implements it; DriftHTTP sees only this protocol and the row values of
/// StoredRecords.swift, so it never imports the store's module and a test can hand it any
/// implementation.
///
/// A response reads through one ``read(_:)``: every query of it sees the same snapshot of the
/// store (a list and the acknowledgements beside it cannot disagree), and the work runs on the
/// store's own reader threads, never on Swift's cooperative pool.
public protocol OperatorReadModel: Sendable {
    func read<T: Sendable>(_ body: @escaping @Sendable (any OperatorSnapshot) throws -> T) async throws -> T
}

/// One consistent view of the store, valid only inside ``OperatorReadModel/read(_:)``.
/// Each query is one statement (or one per kind of row), never one per row listed.
public protocol OperatorSnapshot {
    /// Alerts matching every given filter, newest change first, without their transitions;
    /// cancelled alerts (pending that never fired) are left out.
    func alertPage(state: String?, model: String?, severity: String?, limit: Int, offset: Int) throws -> StorePage<StoredAlert>
    /// One alert with its transitions in order, or nil.
    func alert(id: Int64) throws -> StoredAlert?
    /// How many alerts are in each (state, severity).
    func alertCounts() throws -> [AlertCount]
    /// Firing alerts per model.
    func firingAlertCounts() throws -> [String: Int]
    /// Every model the store knows (with a baseline or window reports), sorted.
    func modelIDs() throws -> [String]
    /// Baseline versions, of one model or all, without their profiles.
    func baselines(model: String?) throws -> [BaselineSummary]
    /// The latest `last` window reports of a model (all with nil), oldest first.
    func windowReports(model: String, last: Int?) throws -> [WindowReport]
    /// Each model's latest window report.
    func latestWindowReports() throws -> [String: WindowReport]
    /// Per model, the window reports past row `newerThan`: how many, the latest, its row.
    func windowSummaries(newerThan: Int64) throws -> [WindowSummary]
    /// A page of dead letters, oldest first.
    func deadLetterPage(limit: Int, offset: Int) throws -> StorePage<StoredDeadLetter>
    /// Acknowledgements in force at `now`, per alert.
    func activeAcknowledgements(now: Double) throws -> [AcknowledgementRecord]
    /// An alert's notes, oldest first.
    func notes(alertID: Int64) throws -> [AlertNote]
    /// An alert's deliveries, oldest first.
    func deliveries(alertID: Int64) throws -> [DeliveryRecord]
    /// The attempts of each of these deliveries, in order.
    func attempts(deliveryIDs: [Int64]) throws -> [Int64: [DeliveryAttemptRecord]]
    /// Silences, newest first; without `includeExpired` only those not over at `now`.
    func silences(includeExpired: Bool, now: Double) throws -> [SilenceRecord]
    /// One silence, expired or not, or nil.
    func silence(id: Int64) throws -> SilenceRecord?
    /// The audit log, newest first: of one actor, of actions starting with `action` (`alert.`,
    /// `baseline.fit`), from `since` (seconds since 1970) on; any of them nil for all.
    func auditPage(actor: String?, action: String?, since: Double?, limit: Int, offset: Int) throws -> StorePage<AuditEntry>
}

/// What operators change through the API. Each action is one store transaction, written to
/// the audit log with its actor, and refused with a ``StoreError`` whose kind says why (no
/// such alert: `.notFound`; its state does not allow it: `.conflict`).
public protocol OperatorActions: Sendable {
    func acknowledge(alertID: Int64, by: String, note: String?, expiresAt: Double?, now: Double) throws
    func resolve(alertID: Int64, by: String, note: String?, now: Double) throws
    func addNote(alertID: Int64, by: String, text: String, now: Double) throws
    /// Returns the new silence's id.
    func addSilence(matchers: [String], startsAt: Double, endsAt: Double, by: String, comment: String, now: Double) throws -> Int64
    func expireSilence(id: Int64, by: String, now: Double) throws
}

/// The whole port the HTTP server is built on.
public typealias OperatorStore = OperatorReadModel & OperatorActions

/// A model's window reports past a row: what `/metrics` counts under `driftd serve`, where no
/// pipeline runs. Counting only rows past the last one seen keeps the windows-closed counter
/// right when retention prunes old reports.
public struct WindowSummary: Sendable, Equatable {
    public var model: String
    public var windows: Int64
    public var latest: WindowReport
    /// The row of `latest`: the next scrape reads past it.
    public var lastID: Int64
    public init(model: String, windows: Int64, latest: WindowReport, lastID: Int64) {
        self.model = model; self.windows = windows; self.latest = latest; self.lastID = lastID
    }
}
