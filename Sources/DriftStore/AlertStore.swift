import DriftCore
import Foundation
import GRDB

/// An error of the store an operator can act on.
public struct StoreError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// driftd's SQLite store (GRDB, WAL): baselines, window reports, alerts and their
/// transitions, outbox, dead letters, audit log and checkpoints. Every commit point is one
/// transaction, so a crash leaves either all of a window's effects or none.
public final class AlertStore: Sendable {
    let writer: any DatabaseWriter
    public let path: String

    /// Opens (creating if needed) the store at `path` and applies pending migrations.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        // A new user's first command names a store in a folder that does not exist yet.
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        do {
            writer = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw StoreError("cannot open the store \(path): \(error) — check that its folder exists and is writable")
        }
        self.path = path
        try Self.useIncrementalAutoVacuum(writer)
        try StoreMigrations.migrator.migrate(writer)
    }

    /// A store in memory, for tests.
    public init(inMemory: Void = ()) throws {
        writer = try DatabaseQueue()
        path = ":memory:"
        try Self.useIncrementalAutoVacuum(writer)
        try StoreMigrations.migrator.migrate(writer)
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.keyEncodingStrategy = .convertToSnakeCase
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return e
    }()
    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return d
    }()

    static func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try decoder.decode(type, from: Data(text.utf8)) }

    /// Window reports, model states and baselines are stored in the compact binary form
    /// (written at every commit point, read at every start); stores written by an older
    /// driftd hold JSON text, which still reads.
    static func compact<T: Encodable>(_ value: T) throws -> Data { Data(try CompactCoding.encode(value)) }

    /// `model, body` rows decoded into one value per model.
    func bodiesByModel<T: Decodable>(_ type: T.Type, sql: String) throws -> [String: T] {
        try writer.read { db in
            var values: [String: T] = [:]
            for row in try Row.fetchAll(db, sql: sql) { values[row["model"]] = try Self.decodeStored(type, row["body"]) }
            return values
        }
    }

    static func decodeStored<T: Decodable>(_ type: T.Type, _ value: DatabaseValue) throws -> T {
        switch value.storage {
        case .blob(let data): return try CompactCoding.decode(type, from: [UInt8](data))
        case .string(let text): return try decode(type, text)
        default: throw StoreError("a stored \(T.self) is \(value) — the store may be damaged; run driftd store check")
        }
    }

    // MARK: audit

    static func audit(_ db: Database, actor: String, action: String, detail: String) throws {
        try db.execute(sql: "INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)",
                       arguments: [Date().timeIntervalSince1970, actor, action, detail])
    }

    public struct AuditEntry: Sendable, Equatable {
        public var at: Double, actor: String, action: String, detail: String
    }

    public func auditLog(limit: Int = 100) throws -> [AuditEntry] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT at, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT ?", arguments: [limit])
                .map { AuditEntry(at: $0["at"], actor: $0["actor"], action: $0["action"], detail: $0["detail"]) }
        }
    }
}
