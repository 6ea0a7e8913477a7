import DriftCore
import Foundation
import GRDB

/// driftd's SQLite store (GRDB, WAL): baselines, window reports, alerts and their
/// transitions, outbox, dead letters, audit log and checkpoints. Every commit point is one
/// transaction, so a crash leaves either all of a window's effects or none.
public final class AlertStore: Sendable {
    let writer: any DatabaseWriter
    public let path: String
    /// Held for the store's lifetime by the process that runs the pipeline on it.
    public let lock: StoreLock?
    /// Where the store was copied before this open upgraded its schema, if it did.
    public let migrationBackup: String?

    /// Opens (creating if needed) the store at `path` and applies pending migrations.
    /// `writerCommand` names a command that runs the pipeline or the notifier on the store
    /// (`driftd run`, `driftd replay`): it takes the store's writer lock first, so a second
    /// such command is refused at start instead of colliding mid-stream.
    public convenience init(path: String, writerCommand: String? = nil) throws {
        let path = StoreFile.resolvingLink(path)
        try self.init(path: path, lock: try writerCommand.map { try StoreLock(store: path, command: $0) })
    }

    /// Opens the store at `path` under a writer lock the caller took already (the demo
    /// takes it before it replaces the files of its last run).
    public init(path: String, lock: StoreLock?) throws {
        // A store reached through a link is the file it points to: checked, locked and
        // opened there, so two paths to one store share one writer lock.
        let path = StoreFile.resolvingLink(path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        // A new user's first command names a store in a folder that does not exist yet.
        StoreFile.createFolder(of: path)
        self.lock = lock
        do {
            // Judged read-only before SQLite may write to it: a file that is refused is
            // left exactly as it was (opening a pool would switch it to WAL).
            try StoreFile.refuseForeign(path)
            try StoreFile.refuseForeignSchema(path)
            StoreFile.createPrivate(path)
            writer = try DatabasePool(path: path, configuration: configuration)
            self.path = path
            // Only the store's writer, or anyone while no writer runs, upgrades its schema: a
            // reading command of a newer driftd must not change the tables under a daemon of
            // the version before, which keeps writing them.
            let writerElsewhere = lock == nil && StoreLock.currentHolder(store: path) != nil
            if writerElsewhere {
                migrationBackup = nil
            } else {
                migrationBackup = try Self.backUpBeforeMigrating(writer, path: path)
                try Self.useIncrementalAutoVacuum(writer)
                try StoreMigrations.migrator.migrate(writer)
            }
        } catch {
            throw StoreError.from(error, store: path)
        }
    }

    /// A store in memory, for tests.
    public init(inMemory: Void = ()) throws {
        writer = try DatabaseQueue()
        path = ":memory:"
        lock = nil
        migrationBackup = nil
        try Self.useIncrementalAutoVacuum(writer)
        try StoreMigrations.migrator.migrate(writer)
    }

    /// A store written by an older driftd is copied whole (SQLite's online backup) before
    /// its schema is upgraded, to `STORE.before-v4-20261201T153000Z`: a migration that
    /// goes wrong, or a downgrade, can start again from the copy. New stores and stores
    /// already current are not copied.
    static func backUpBeforeMigrating(_ writer: any DatabaseWriter, path: String) throws -> String? {
        let migrator = StoreMigrations.migrator
        let applied = try writer.read { try migrator.appliedIdentifiers($0) }
        let pending = migrator.migrations.filter { !applied.contains($0) }
        guard !applied.isEmpty, let next = pending.first else { return nil }
        let tag = next.prefix { $0 != ":" }
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = TimeZone(identifier: "UTC")
        format.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let stamp = format.string(from: Date())
        let target = "\(path).before-\(tag)-\(stamp)"
        try backup(from: writer, storePath: path, to: target)
        return target
    }

    /// A write transaction whose SQLite errors say which store failed and what to do.
    func write<T>(_ updates: (Database) throws -> T) throws -> T {
        do { return try writer.write(updates) } catch { throw StoreError.from(error, store: path) }
    }

    /// A read (one snapshot) whose SQLite errors say which store failed and what to do.
    func read<T>(_ value: (Database) throws -> T) throws -> T {
        do { return try writer.read(value) } catch { throw StoreError.from(error, store: path) }
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
    /// The rows are read in one query and decoded on every core, a few hundred at a time: a
    /// start with thousands of models decodes thousands of baselines, and holding every
    /// stored body at once left its memory to the process (10,000 baselines are 570 MB).
    func bodiesByModel<T: Decodable & Sendable>(_ type: T.Type, sql: String) throws -> [String: T] {
        try read { db in
            var values: [String: T] = [:]
            var pending: [StoredBody] = []
            func decodePending() throws {
                let decoded = try ResultSlots<T>.map(pending, minimumPerTask: 16) { try Self.decodeStored(type, $0.body) }
                for (row, value) in zip(pending, decoded) { values[row.model] = value }
                pending.removeAll(keepingCapacity: true)
            }
            let rows = try Row.fetchCursor(db, sql: sql)
            while let row = try rows.next() {
                pending.append(StoredBody(model: row["model"], body: row["body"]))
                if pending.count == 256 { try decodePending() }
            }
            try decodePending()
            return values
        }
    }

    private struct StoredBody: Sendable {
        var model: String
        var body: DatabaseValue
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

    /// The core's audit line, under the name the store's callers know.
    public typealias AuditEntry = DriftCore.AuditEntry

    public func auditLog(limit: Int = 100) throws -> [AuditEntry] {
        try snapshot { try $0.auditPage(actor: nil, action: nil, since: nil, limit: limit, offset: 0).items }
    }
}
