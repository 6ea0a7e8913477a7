import DriftCore
import Foundation
import GRDB

extension AlertStore {
    /// Stores a baseline version; the first of a model, or `activate`, makes it active.
    public func saveBaseline(_ baseline: Baseline, activate: Bool, actor: String) throws {
        try saveBaselines([baseline], activate: activate, actor: actor)
    }

    /// Stores baselines (e.g. every model of one reference file) in one transaction: all of
    /// them, or none when one of them exists already.
    public func saveBaselines(_ baselines: [Baseline], activate: Bool, actor: String) throws {
        let bodies = try baselines.map { try Self.compact($0) }
        try write { db in
            for (baseline, body) in zip(baselines, bodies) {
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM baselines WHERE model = ? AND version = ?", arguments: [baseline.model, baseline.version]) == true {
                    throw StoreError("baseline \(baseline.model) version \(baseline.version) exists already — give another --version")
                }
                let hasActive = try Bool.fetchOne(db, sql: "SELECT 1 FROM baselines WHERE model = ? AND active = 1", arguments: [baseline.model]) == true
                let makeActive = activate || !hasActive
                if makeActive { try db.execute(sql: "UPDATE baselines SET active = 0 WHERE model = ?", arguments: [baseline.model]) }
                try db.execute(sql: """
                    INSERT INTO baselines (model, version, created_at, active, record_count, body) VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [baseline.model, baseline.version, Date().timeIntervalSince1970, makeActive, baseline.recordCount, body])
                try Self.audit(db, actor: actor, action: "baseline.fit",
                               detail: "model \(baseline.model) version \(baseline.version), \(baseline.recordCount) records\(makeActive ? ", active" : "")")
            }
        }
    }

    public func baseline(model: String, version: String? = nil) throws -> Baseline? {
        try read { db in
            let body: DatabaseValue?
            if let version {
                body = try DatabaseValue.fetchOne(db, sql: "SELECT body FROM baselines WHERE model = ? AND version = ?", arguments: [model, version])
            } else {
                body = try DatabaseValue.fetchOne(db, sql: "SELECT body FROM baselines WHERE model = ? AND active = 1", arguments: [model])
            }
            return try body.map { try Self.decodeStored(Baseline.self, $0) }
        }
    }

    /// Every model's active baseline, in one query (a start with thousands of models).
    public func activeBaselines() throws -> [String: Baseline] {
        try bodiesByModel(Baseline.self, sql: "SELECT model, body FROM baselines WHERE active = 1")
    }

    public func activateBaseline(model: String, version: String, actor: String) throws {
        try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM baselines WHERE model = ? AND version = ?", arguments: [model, version]) == true else {
                throw StoreError("no baseline \(model) version \(version) — `driftd baseline list` shows the versions", kind: .notFound)
            }
            try db.execute(sql: "UPDATE baselines SET active = (version = ?) WHERE model = ?", arguments: [version, model])
            try Self.audit(db, actor: actor, action: "baseline.activate", detail: "model \(model) version \(version)")
        }
    }
}
