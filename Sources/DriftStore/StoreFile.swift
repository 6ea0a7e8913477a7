import DriftCore
import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks and conventions of the file at a store's path, before SQLite is let at it.
enum StoreFile {
    static let sqliteMagic = Array("SQLite format 3\0".utf8)

    static func createFolder(of path: String) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    /// Creates a missing store file readable and writable by its owner only. SQLite gives
    /// the -wal and -shm files it creates later the permissions of the database file, so
    /// the whole store stays private: it holds baselines fitted on production data, alerts,
    /// dead-lettered records and the operators' notes.
    static func createPrivate(_ path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
    }

    /// Refuses a file that is not an SQLite database (a log, a CSV, a half-copied store)
    /// or whose header says it is longer than it is (a truncated copy), before SQLite opens
    /// it: the message says what the file is and what to do, where SQLite would say
    /// "file is not a database" at the first query.
    static func refuseForeign(_ path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        let header = [UInt8]((try? handle.read(upToCount: 100)) ?? Data())
        guard !header.isEmpty else { return } // empty: a new store
        guard header.count == 100, Array(header[0..<16]) == sqliteMagic else {
            let start = String(decoding: header.prefix(24), as: UTF8.self).unicodeScalars
                .map { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0xFFFD ? "." : String($0) }.joined()
            throw StoreError("\(path) is not a driftd store: it is not an SQLite database (it begins \"\(start)\") — point `store:` at another path, "
                             + "or restore the store from a backup (README: Backup and restore)", kind: .notAStore)
        }
        func be32(_ at: Int) -> UInt32 { header[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        let rawPageSize = Int(header[16]) << 8 | Int(header[17])
        let pageSize = rawPageSize == 1 ? 65_536 : rawPageSize
        let pages = Int(be32(28))
        // The page count in the header holds only when its "valid-for" stamp matches the
        // change counter; a write-ahead log still holding pages makes the file legitimately
        // shorter, so only a store without one is judged.
        let headerCountValid = be32(92) == be32(24) && pages > 0
        let walSize = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if headerCountValid && walSize == 0 && fileSize < pages * pageSize {
            throw StoreError("the store \(path) is truncated: its header says \(pages * pageSize) bytes, the file has \(fileSize) — "
                             + "it was cut short by a copy or a full disk; restore it from a backup (README: Backup and restore) and keep this file for inspection",
                             kind: .corrupt)
        }
    }

    /// Whether the file at `path` is something other than an SQLite database.
    static func isNotSQLite(_ path: String) -> Bool {
        do { try refuseForeign(path); return false } catch { return (error as? StoreError)?.kind == .notAStore }
    }

    /// The file a store path names, its links followed (the path itself when it names none).
    static func resolvingLink(_ path: String) -> String {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeSymbolicLink,
              let real = realpath(path, nil) else { return path }
        defer { free(real) }
        return String(cString: real)
    }

    /// Refuses an SQLite database some other program made: driftd would add its tables
    /// beside theirs. A driftd store has GRDB's migration table; a new one has no tables.
    /// Read through a read-only connection, so a refused file is not touched.
    static func refuseForeignSchema(_ path: String) throws {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size > 0 else { return }
        let tables = try AlertStore.openReadOnly(path).read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        }
        guard !tables.isEmpty, !tables.contains("grdb_migrations") else { return }
        throw StoreError("\(path) is an SQLite database of another program (tables \(tables.prefix(5).joined(separator: ", "))), not a driftd store — "
                         + "point `store:` at another path", kind: .notAStore)
    }
}
