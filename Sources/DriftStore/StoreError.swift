import DriftCore
import Foundation
import GRDB

extension StoreError {
    /// The error SQLite (through GRDB) reported while working on the store at `path`, in an
    /// operator's words: the store, the fault, the remedy — never the SQL text.
    public static func from(_ error: any Error, store path: String) -> any Error {
        guard let e = error as? DatabaseError else { return error }
        var code = e.resultCode
        let sqlite = "(SQLite: \(e.message ?? String(describing: code)))"
        // SQLite says "disk I/O error" when a full disk refuses the files it creates beside
        // the store (its shared-memory index): the file system's free space tells which.
        if [.SQLITE_IOERR, .SQLITE_CANTOPEN].contains(code), let free = freeBytes(nearby: path), free < 64 * 1024 { code = .SQLITE_FULL }
        switch code {
        case .SQLITE_FULL:
            return StoreError("the disk holding the store \(path) is full \(sqlite) — free space on that file system (or shorten `retention:`); "
                              + "a running daemon waits and resumes by itself; other commands can be run again once there is room", kind: .diskFull)
        case .SQLITE_READONLY:
            return StoreError("the store \(path) refuses writes \(sqlite) — check that the file, its -wal and -shm files and their folder are writable "
                              + "by this user and that the file system is not mounted read-only", kind: .readOnly)
        case .SQLITE_IOERR:
            return StoreError("the file system failed a read or write of the store \(path) \(sqlite) — check the disk, the kernel log (dmesg) "
                              + "and any file-size limit (ulimit -f, LimitFSIZE=); a running daemon waits and tries again", kind: .ioError)
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return StoreError("the store \(path) stayed locked by another connection \(sqlite) — a long backup or another program holds it; "
                              + "try again when it is done", kind: .busy)
        case .SQLITE_CORRUPT:
            return StoreError("the store \(path) is damaged \(sqlite) — run `driftd store check`, then restore it from a backup "
                              + "(README: Backup and restore); keep the damaged file for inspection", kind: .corrupt)
        case .SQLITE_NOTADB:
            return StoreError("\(path) is not a driftd store: it is not an SQLite database \(sqlite) — point `store:` at another path, "
                              + "or restore the store from a backup", kind: .notAStore)
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH:
            return StoreError("cannot open the store \(path) \(sqlite) — check that its folder exists and that this user may write it", kind: .cannotOpen)
        default:
            return StoreError("the store \(path) refused an operation \(sqlite) — this is a driftd bug if it repeats; "
                              + "run `driftd store check` and report it with the store's driftd version", kind: .other)
        }
    }

    /// Bytes free to this user on the file system holding `path` (or its folder).
    static func freeBytes(nearby path: String) -> Int? {
        var s = statvfs()
        for candidate in [path, URL(fileURLWithPath: path).deletingLastPathComponent().path] where statvfs(candidate, &s) == 0 {
            return Int(s.f_bavail) * Int(s.f_frsize)
        }
        return nil
    }
}
// The store keeps these enums as their text (GRDB), so no query re-parses a string; the
// types are the core's (the operator surface reads them through its port).
extension OutboxKind: DatabaseValueConvertible {}
extension DeliveryStatus: DatabaseValueConvertible {}
