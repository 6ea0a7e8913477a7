import DriftCore
import Foundation
import GRDB

/// The store's schema, one migration per shipped change. Never edit a migration once it has
/// shipped: add a new one.
enum StoreMigrations {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: baselines, windows, alerts, outbox, dead letters, audit, checkpoints") { db in
            try db.execute(sql: """
                CREATE TABLE baselines (
                    model TEXT NOT NULL,
                    version TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    active INTEGER NOT NULL DEFAULT 0,
                    record_count INTEGER NOT NULL,
                    body TEXT NOT NULL,
                    PRIMARY KEY (model, version)
                );
                CREATE TABLE window_reports (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    source TEXT NOT NULL,
                    model TEXT NOT NULL,
                    window_index INTEGER NOT NULL,
                    baseline_version TEXT NOT NULL,
                    basis TEXT NOT NULL,
                    start_bound INTEGER NOT NULL,
                    end_bound INTEGER NOT NULL,
                    first_event_ms INTEGER,
                    last_event_ms INTEGER,
                    record_count INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    body TEXT NOT NULL,
                    UNIQUE (source, model, baseline_version, window_index)
                );
                CREATE INDEX window_reports_by_model ON window_reports (model, window_index);
                CREATE TABLE alerts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    fingerprint TEXT NOT NULL UNIQUE,
                    model TEXT NOT NULL,
                    feature TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    state TEXT NOT NULL,
                    severity TEXT,
                    value REAL NOT NULL,
                    started_window INTEGER NOT NULL,
                    updated_window INTEGER NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE INDEX alerts_by_state ON alerts (state, model);
                CREATE TABLE alert_transitions (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    alert_id INTEGER NOT NULL REFERENCES alerts(id),
                    fingerprint TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    from_state TEXT,
                    to_state TEXT,
                    severity TEXT,
                    value REAL NOT NULL,
                    window_index INTEGER NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE INDEX transitions_by_alert ON alert_transitions (alert_id);
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    transition_id INTEGER NOT NULL REFERENCES alert_transitions(id),
                    payload TEXT NOT NULL,
                    status TEXT NOT NULL DEFAULT 'pending',
                    created_at REAL NOT NULL
                );
                CREATE TABLE dead_letters (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    source TEXT NOT NULL,
                    partition INTEGER NOT NULL,
                    position INTEGER NOT NULL,
                    line INTEGER,
                    reason TEXT NOT NULL,
                    payload BLOB NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE TABLE audit_log (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at REAL NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    detail TEXT NOT NULL
                );
                CREATE TABLE checkpoints (
                    source TEXT PRIMARY KEY,
                    body TEXT NOT NULL,
                    updated_at REAL NOT NULL
                );
                """)
        }
        m.registerMigration("v2: deliveries, delivery attempts, acks, silences, alert notes") { db in
            try db.execute(sql: """
                CREATE TABLE deliveries (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    outbox_id INTEGER NOT NULL REFERENCES outbox(id),
                    alert_id INTEGER NOT NULL REFERENCES alerts(id),
                    receiver TEXT NOT NULL,
                    route TEXT NOT NULL,
                    status TEXT NOT NULL DEFAULT 'pending',
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at REAL,
                    last_error TEXT,
                    dedup_key TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    UNIQUE (outbox_id, receiver)
                );
                CREATE INDEX deliveries_by_status ON deliveries (status, receiver);
                CREATE INDEX deliveries_by_alert ON deliveries (alert_id, receiver);
                CREATE TABLE delivery_attempts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
                    at REAL NOT NULL,
                    status_code INTEGER,
                    error TEXT,
                    is_repeat INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX attempts_by_delivery ON delivery_attempts (delivery_id);
                CREATE TABLE acks (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    alert_id INTEGER NOT NULL REFERENCES alerts(id),
                    by TEXT NOT NULL,
                    at REAL NOT NULL,
                    note TEXT,
                    expires_at REAL
                );
                CREATE INDEX acks_by_alert ON acks (alert_id);
                CREATE TABLE silences (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    matchers TEXT NOT NULL,
                    starts_at REAL NOT NULL,
                    ends_at REAL NOT NULL,
                    created_by TEXT NOT NULL,
                    comment TEXT NOT NULL DEFAULT '',
                    expired INTEGER NOT NULL DEFAULT 0,
                    created_at REAL NOT NULL
                );
                CREATE TABLE alert_notes (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    alert_id INTEGER NOT NULL REFERENCES alerts(id),
                    by TEXT NOT NULL,
                    at REAL NOT NULL,
                    text TEXT NOT NULL
                );
                CREATE INDEX notes_by_alert ON alert_notes (alert_id);
                """)
        }
        m.registerMigration("v3: model states kept per model, not per source") { db in
            // A model's open windows and alert book belong to the model: whichever source
            // feeds it next continues them. Each commit writes only the models it changed.
            try db.execute(sql: """
                CREATE TABLE model_states (
                    model TEXT PRIMARY KEY,
                    baseline_version TEXT,
                    source TEXT NOT NULL,
                    body TEXT NOT NULL,
                    updated_at REAL NOT NULL
                );
                """)
        }
        m.registerMigration("v4: retention: window reports' commit time, indexes for pruning") { db in
            // Retention goes by when a row was committed (wall clock), not by its event time: a
            // replay of last year's file must not be pruned the moment it lands. Rows already
            // stored get the migration's time, so an upgrade keeps them a full period. A
            // constant default makes ADD COLUMN O(1) on a store of any size (no table rewrite);
            // every new row sets the column itself.
            let migratedAt = Date().timeIntervalSince1970
            try db.execute(sql: """
                ALTER TABLE window_reports ADD COLUMN committed_at REAL NOT NULL DEFAULT \(migratedAt);
                -- By age: the oldest first, walked in (time, id) order.
                CREATE INDEX window_reports_by_commit ON window_reports (committed_at, id);
                -- By count and "the newest of each model stays": a model's reports newest first.
                CREATE INDEX window_reports_by_model_id ON window_reports (model, id);
                -- An alert's outbox rows (pruned with it); nothing indexed them by transition.
                CREATE INDEX outbox_by_transition ON outbox (transition_id);
                CREATE INDEX dead_letters_by_time ON dead_letters (created_at);
                CREATE INDEX audit_log_by_time ON audit_log (at);
                CREATE INDEX alerts_by_update ON alerts (state, updated_at);
                """)
        }
        m.registerMigration("v5: the notifier's pending outbox rows indexed") { db in
            // The notifier asks for the pending rows on every tick; without an index that is a
            // scan of the whole outbox. Only pending rows are indexed, so the index stays as
            // small as the work waiting.
            try db.execute(sql: "CREATE INDEX outbox_pending ON outbox (id) WHERE status = 'pending'")
        }
        return m
    }
}
