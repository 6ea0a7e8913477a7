import DriftCore
import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `driftd store check` found: the problems SQLite reports (none when the store is
/// sound) and what the file holds, as far as it could be read.
public struct StoreCheck: Sendable, Equatable {
    public var path: String
    /// Each problem in one line: integrity_check's findings, foreign keys that point at no
    /// row, a file that is not a driftd store. Empty when the store is sound.
    public var problems: [String]
    /// Nil when the file could not be opened as a database at all.
    public var summary: StoreSummary?
    public var isOK: Bool { problems.isEmpty }
    /// The file is no driftd store at all (not SQLite, or another program's database):
    /// restoring a backup over it would be wrong advice.
    public var isForeign = false
}

/// One line's worth of facts about a store file, for operators and for bug reports.
public struct StoreSummary: Sendable, Equatable {
    public struct TableRows: Sendable, Equatable {
        public var table: String
        /// Nil when the table could not be read (a damaged page).
        public var rows: Int64?
    }
    /// The migrations the file has, in this driftd's order, then any it does not know.
    public var appliedMigrations: [String]
    /// Migrations this driftd knows and the file lacks: the next writing start applies them.
    public var pendingMigrations: [String]
    /// Migrations the file has that this driftd does not know: it was written by a newer one.
    public var unknownMigrations: [String]
    public var fileBytes: Int64
    public var walBytes: Int64
    public var tables: [TableRows]
    /// `none`, `full` or `incremental` (PRAGMA auto_vacuum).
    public var autoVacuum: String
    public var journalMode: String

    /// The schema's version: the tag of the newest applied migration ("v3"), or "none".
    public var schemaVersion: String {
        appliedMigrations.last.map { String($0.prefix { $0 != ":" }) } ?? "none"
    }
}

extension AlertStore {
    /// Checks the store file at `path` with SQLite's `PRAGMA integrity_check` and
    /// `PRAGMA foreign_key_check`, and summarises it. The file is opened read-only and
    /// without migrating: a check must never change what it checks, and it must work on a
    /// store that ``init(path:)`` refuses, or beside a daemon that is writing it (WAL
    /// readers see the last commit). integrity_check reads every page, so on a large
    /// store it takes a while.
    ///
    /// Throws only when there is no file to check; a damaged file is a result with problems.
    public static func check(path: String) throws -> StoreCheck {
        let queue: DatabaseQueue
        do {
            queue = try openReadOnly(path)
        } catch let e as StoreError {
            throw e
        } catch {
            return StoreCheck(path: path, problems: ["the file cannot be opened as a SQLite database (\(Self.reason(error)))"], summary: nil,
                              isForeign: StoreFile.isNotSQLite(path))
        }
        var problems: [String] = []
        var summary: StoreSummary? = nil
        var foreign = false
        // Statement by statement, outside a transaction: on a damaged file SQLite's error
        // sticks to the connection and would fail a COMMIT, losing what was found.
        queue.inDatabase { db in
            do {
                let findings = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                if findings != ["ok"] { problems += findings }
            } catch {
                problems.append("integrity_check could not read the file to its end (\(Self.reason(error)))")
            }
            do {
                problems += try Self.foreignKeyProblems(db)
            } catch {
                problems.append("foreign_key_check could not finish (\(Self.reason(error)))")
            }
            let facts = Self.summary(db, path: path)
            if facts.appliedMigrations.isEmpty {
                problems.append("the file holds no driftd schema (no applied migrations): it is not a driftd store")
                foreign = true
            }
            summary = facts
        }
        return StoreCheck(path: path, problems: problems, summary: summary, isForeign: foreign)
    }

    /// Rows of `PRAGMA foreign_key_check` as sentences: which row points at what missing row.
    static func foreignKeyProblems(_ db: Database) throws -> [String] {
        var keys: [String: [Int: (from: String, to: String)]] = [:]
        return try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").map { row in
            let table: String = row[0], parent: String = row[2]
            let rowid: Int64? = row[1], fkid: Int = row[3]
            if keys[table] == nil {
                var byID: [Int: (from: String, to: String)] = [:]
                for k in try Row.fetchAll(db, sql: "PRAGMA foreign_key_list(\(table.quotedDatabaseIdentifier))") {
                    byID[k["id"]] = (k["from"], k["to"] as String? ?? "rowid")
                }
                keys[table] = byID
            }
            let column = keys[table]?[fkid].map { "\($0.from) → \(parent).\($0.to)" } ?? "a reference to \(parent)"
            return "\(table) row \(rowid.map(String.init) ?? "?"): \(column) names no row"
        }
    }

    /// Best effort: a figure that cannot be read is left out (nil rows), never a failure.
    static func summary(_ db: Database, path: String) -> StoreSummary {
        let known = StoreMigrations.migrator.migrations
        let applied = (try? String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")) ?? []
        let appliedSet = Set(applied)
        let tables = ((try? String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations' ORDER BY name
            """)) ?? []).map { table in
            StoreSummary.TableRows(table: table, rows: try? Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table.quotedDatabaseIdentifier)"))
        }
        let autoVacuum: Int? = (try? Int.fetchOne(db, sql: "PRAGMA auto_vacuum")) ?? nil
        let journalMode: String? = (try? String.fetchOne(db, sql: "PRAGMA journal_mode")) ?? nil
        return StoreSummary(
            appliedMigrations: known.filter(appliedSet.contains) + applied.filter { !known.contains($0) }.sorted(),
            pendingMigrations: known.filter { !appliedSet.contains($0) },
            unknownMigrations: applied.filter { !known.contains($0) }.sorted(),
            fileBytes: fileSize(path) ?? 0, walBytes: fileSize(path + "-wal") ?? 0, tables: tables,
            autoVacuum: autoVacuum.map { [0: "none", 1: "full", 2: "incremental"][$0] ?? String($0) } ?? "unknown",
            journalMode: journalMode ?? "unknown")
    }

    static func fileSize(_ path: String) -> Int64? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
    }

    /// SQLite's own words without the SQL text ("database disk image is malformed").
    static func reason(_ error: any Error) -> String {
        guard let e = error as? DatabaseError else { return "\(error)" }
        return "SQLite error \(e.resultCode.rawValue): \(e.message ?? "\(e.resultCode)")"
    }

    /// Writes a consistent copy of the store to `path`, readable by its owner only (0600),
    /// while other connections keep writing.
    ///
    /// The copy is SQLite's online backup in a single step inside one read transaction: it
    /// holds exactly the commits made before the backup began, never part of one, and a
    /// writer committing meanwhile neither waits for it nor makes it start over (a stepwise
    /// backup restarts whenever another connection writes). It is written to a hidden file
    /// beside `path`, turned into a single self-contained file (rollback journal: no -wal
    /// to carry along; driftd turns WAL back on when it opens it as its store), checked with
    /// `integrity_check` (a damaged store gives a damaged copy: refused), flushed to disk,
    /// then renamed over `path`: a backup that fails leaves nothing under that name,
    /// one that succeeds replaces it whole. Replacing an existing file is the caller's
    /// choice (the CLI refuses without `--force`); the store's own file is refused, since
    /// renaming over it would cut the live store off from its WAL.
    public func backup(to path: String) throws {
        try Self.backup(from: writer, storePath: self.path, to: path)
    }

    /// ``backup(to:)`` of the store file at `storePath`, opened read-only and without
    /// migrating: what `driftd store backup` uses, so that backing up never changes the
    /// store (a newer driftd would otherwise migrate it first) and works beside the daemon.
    public static func backup(storeAt storePath: String, to path: String) throws {
        let source: DatabaseQueue
        do {
            source = try openReadOnly(storePath)
        } catch let e as StoreError {
            throw e
        } catch let e as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(e.resultCode) {
            // Damaged where SQLite reads first (its schema): no copy can be made.
            throw StoreError.from(e, store: storePath)
        } catch {
            throw StoreError("cannot open the store \(storePath) to back it up: \(reason(error)) — driftd store check says what is wrong with it")
        }
        try backup(from: source, storePath: storePath, to: path)
    }

    /// The store file at `path` opened read-only and without migrating (check and backup
    /// must never change the store, and must work on one a newer driftd wrote). Throws a
    /// `StoreError` when there is no file; SQLite's own error when it cannot be opened.
    static func openReadOnly(_ path: String) throws -> DatabaseQueue {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError("no store at \(path) — check the configuration's store: path (driftd check-config shows it)", kind: .notFound)
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    static func backup(from source: any DatabaseReader, storePath: String, to path: String) throws {
        let destination = URL(fileURLWithPath: path).standardizedFileURL
        if storePath != ":memory:",
           destination.resolvingSymlinksInPath().path == URL(fileURLWithPath: storePath).standardizedFileURL.resolvingSymlinksInPath().path {
            throw StoreError("cannot back up the store \(storePath) onto itself — name a file elsewhere, ideally on another disk")
        }
        let folder = destination.deletingLastPathComponent()
        let partial = folder.appendingPathComponent(".\(destination.lastPathComponent).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        // Created 0600 before the first byte is copied, so no one else can read it even for
        // a moment; SQLite gives its journal files the same mode.
        let fd = open(partial, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StoreError("cannot write the backup in \(folder.path): \(String(cString: strerror(errno))) — check that the folder exists and is writable")
        }
        _ = fchmod(fd, 0o600)
        close(fd)
        do {
            do {
                let copy = try DatabaseQueue(path: partial)
                try source.backup(to: copy)
                try copy.writeWithoutTransaction { db in
                    _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")
                    // Pages are copied as they are: a damaged store gives a damaged copy, which
                    // must never pass for a backup, nor replace a good one.
                    let findings: [String]
                    do { findings = try String.fetchAll(db, sql: "PRAGMA integrity_check") } catch { findings = [reason(error)] }
                    if findings != ["ok"] { throw DamagedCopy(findings: findings) }
                }
                try copy.close()
            }
            try flush(partial)
            guard rename(partial, destination.path) == 0 else {
                throw StoreError("cannot rename the finished copy to \(destination.path): \(String(cString: strerror(errno)))")
            }
            try? flush(folder.path)
        } catch {
            for suffix in ["", "-journal", "-wal", "-shm"] { unlink(partial + suffix) }
            if let damaged = error as? DamagedCopy {
                throw StoreError("backup of \(storePath) to \(destination.path) failed: the copy fails SQLite's integrity check " +
                                 "(\(damaged.findings.prefix(3).joined(separator: "; "))), so the store itself is damaged — nothing was written " +
                                 "under that name; driftd store check says what is wrong and how to restore")
            }
            // The copy's own file system (full, read-only) says it in an operator's words.
            let why = (error as? StoreError)?.description
                ?? ((error as? DatabaseError).map { "\(StoreError.from($0, store: destination.path))" } ?? reason(error))
            throw StoreError("backup of \(storePath) to \(destination.path) failed: \(why) — nothing was written under that name; " +
                             "check the free space and permissions of \(folder.path) and run it again")
        }
    }

    struct DamagedCopy: Error { var findings: [String] }

    /// fsync(2) of a file or folder, so a backup that reported success survives a power cut.
    static func flush(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError("cannot open \(path) to flush it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw StoreError("cannot flush \(path) to disk: \(String(cString: strerror(errno)))") }
    }
}
