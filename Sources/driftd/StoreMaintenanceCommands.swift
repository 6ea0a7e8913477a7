import ArgumentParser
import DriftDaemon
import DriftStore
import Foundation

/// `driftd store check`: SQLite's integrity and foreign-key checks, and what the file holds.
struct StoreCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Check the store's integrity and summarise it.",
        discussion: """
            Runs SQLite's PRAGMA integrity_check and foreign_key_check on the store, read-only and \
            without migrating it, so it is safe beside a running daemon (it reads every page: a \
            large store takes a while). Prints one summary line (schema version, size, rows per \
            table, auto_vacuum and journal mode), then "ok" or each problem. Exit status: 0 ok, \
            1 problems found (with how to restore from a backup), 2 no store or bad usage.
            """)
    @OptionGroup var options: ConfigOption

    func run() throws {
        let path = try options.load().storePath
        let result = try AlertStore.check(path: path)
        if let summary = result.summary, !result.isForeign { print(Self.describe(summary, path: path)) }
        if result.isOK {
            print("ok")
            return
        }
        print("\(result.problems.count) problem\(result.problems.count == 1 ? "" : "s"):")
        for p in result.problems { print("  \(p)") }
        if result.isForeign {
            writeStandardError("driftd: \(path) is not a driftd store (not an SQLite database, or another program's) — point store: in \(options.config) "
                               + "at driftd's store, or at a new path; this file was not changed\n")
        } else {
            writeStandardError("driftd: the store \(path) is damaged. \(Self.restoreAdvice(path: path, config: options.config))\n")
        }
        throw ExitCode(1)
    }

    /// How to put a backup in place, in the order that keeps a stale WAL from being replayed
    /// onto it (the README's "Backup and restore" says the same).
    static func restoreAdvice(path: String, config: String) -> String {
        "Restore it from a backup (driftd store backup FILE makes one): stop driftd; " +
            "cp BACKUP \(path); rm -f \(path)-wal \(path)-shm; driftd store check --config \(config); start driftd. " +
            "Without a backup, `sqlite3 \(path) .recover | sqlite3 recovered.sqlite` salvages the rows that can still be read; " +
            "check the result the same way before putting it in place."
    }

    static func describe(_ s: StoreSummary, path: String) -> String {
        var schema = "schema \(s.schemaVersion) (\(s.appliedMigrations.count) migration\(s.appliedMigrations.count == 1 ? "" : "s") applied"
        if !s.pendingMigrations.isEmpty { schema += ", \(s.pendingMigrations.count) pending: the next driftd start applies them" }
        if !s.unknownMigrations.isEmpty { schema += ", \(s.unknownMigrations.count) from a newer driftd: \(s.unknownMigrations.joined(separator: ", "))" }
        schema += ")"
        let rows = s.tables.map { "\($0.table) \($0.rows.map(String.init) ?? "unreadable")" }.joined(separator: ", ")
        return "store \(path): \(schema), \(ByteCount.text(s.fileBytes)) + \(ByteCount.text(s.walBytes)) WAL, " +
            "auto_vacuum \(s.autoVacuum), journal_mode \(s.journalMode); rows: \(rows.isEmpty ? "no tables" : rows)"
    }
}

/// `driftd store backup FILE`: a consistent copy while the daemon runs.
struct StoreBackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Write a consistent copy of the store to a file, while driftd runs.",
        discussion: """
            Uses SQLite's online backup: the copy holds every commit made before it began and \
            none in part, while the daemon keeps writing. It is written beside FILE, checked with \
            integrity_check (a damaged store gives no backup) and renamed into place, so a failed \
            backup leaves nothing under FILE and never replaces a good one; it is readable by its \
            owner only (0600). An existing FILE is replaced only with --force. Restore: stop driftd, replace the store with the copy, remove the \
            store's -wal and -shm files, run driftd store check, start driftd.
            """)
    @OptionGroup var options: ConfigOption
    @Argument(help: "The file to write.") var file: String
    @Flag(help: "Replace FILE if it exists.") var force = false

    func run() throws {
        let path = try options.load().storePath
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: file, isDirectory: &isFolder) {
            if isFolder.boolValue { throw InputFailure(message: "\(file) is a folder — name the backup file, e.g. \(file)/driftd-backup.sqlite") }
            if !force { throw InputFailure(message: "\(file) exists — name another file, or add --force to replace it") }
        }
        let started = Date()
        try AlertStore.backup(storeAt: path, to: file)
        let seconds = Date().timeIntervalSince(started)
        let bytes = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value ?? 0
        print("backed up \(path) to \(file): \(ByteCount.text(bytes)) in \(String(format: "%.2f", seconds)) s, mode 0600, integrity ok")
    }
}

/// Sizes as people read them, with the exact count for scripts and bug reports.
enum ByteCount {
    static func text(_ bytes: Int64) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB"]
        guard bytes >= 1024 else { return "\(bytes) B" }
        var value = Double(bytes) / 1024, unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return String(format: "%.1f ", value) + "\(units[unit]) (\(bytes) B)"
    }
}
