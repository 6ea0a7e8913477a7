import DriftCore
@testable import DriftStore
import DriftTesting
import Foundation
import GRDB
import Testing

/// The store under the faults an operator meets: a second writer, a full disk, a file that
/// is not a store or was cut short. Each is refused or reported with the store's path and
/// what to do, never with SQLite's raw error and SQL text.
@Suite("Store faults")
struct StoreFaultTests {
    static let baseline = SyntheticStream(seed: 3).baseline(records: 1000)

    /// Two closed windows (with alert transitions) and the checkpoint after them.
    static func twoWindows() -> (PipelineOutput, PipelineCheckpoint) {
        let monitor = ModelMonitor(baseline: baseline, configuration: WindowConfiguration(basis: .count, size: 500, minimumSamples: 10))
        var pipeline = Pipeline(source: "test", monitors: [monitor], rules: ["shop": Rule.defaults])
        for (i, r) in SyntheticStream(seed: 5, driftFrom: 500).records(1200).enumerated() {
            Array(r.utf8).withUnsafeBufferPointer { pipeline.ingest($0, position: SourcePosition(partition: 0, offset: Int64(i + 1))) }
        }
        pipeline.flush(now: 0)
        return (pipeline.takeOutput(), pipeline.takeCheckpoint())
    }

    @Test("one writer per store: a second is refused naming the holder; the lock passes on when the first lets go")
    func oneWriter() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("s.sqlite").path
        var first: AlertStore? = try AlertStore(path: path, writerCommand: "driftd run")
        #expect(first?.lock?.tookOverFrom == nil)
        #expect(StoreLock.currentHolder(store: path)?.command == "driftd run")
        #expect(StoreLock.currentHolder(store: path)?.pid == getpid())
        do {
            _ = try AlertStore(path: path, writerCommand: "driftd replay")
            Issue.record("a second writer was let in")
        } catch let e as StoreError {
            #expect(e.kind == .inUse)
            #expect(e.description.contains("the store \(path) is in use by `driftd run` (pid \(getpid())"), "\(e)")
            #expect(e.description.contains("stop that one first"))
        }
        // Readers and operator actions work beside the writer.
        let reader = try AlertStore(path: path)
        try reader.saveBaseline(Self.baseline, activate: true, actor: "ana")
        #expect(try first?.baseline(model: "shop") == Self.baseline)
        first = nil
        #expect(StoreLock.currentHolder(store: path) == nil, "released with the store")
        let second = try AlertStore(path: path, writerCommand: "driftd replay")
        #expect(second.lock?.tookOverFrom == nil, "a clean hand-over is not a takeover")
    }

    @Test("a lock left by a holder that died is taken over, and who held it is told")
    func staleLockTakenOver() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("s.sqlite").path
        // What a SIGKILLed holder leaves: its record in the file, no flock (the kernel dropped it).
        let dead = StoreLock.Holder(pid: 999_999, host: "old-host", command: "driftd run", since: 1_700_000_000)
        try JSONEncoder().encode(dead).write(to: URL(fileURLWithPath: path + ".lock"))
        #expect(StoreLock.currentHolder(store: path) == nil, "nobody holds it, whatever the file says")
        let store = try AlertStore(path: path, writerCommand: "driftd run")
        #expect(store.lock?.tookOverFrom == dead)
        #expect(StoreLock.currentHolder(store: path)?.pid == getpid())
    }

    @Test("a full disk fails the commit whole, says which store and what to do, and the same commit succeeds once there is room")
    func diskFull() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("s.sqlite").path
        let store = try AlertStore(path: path)
        try store.saveBaseline(Self.baseline, activate: true, actor: "t")
        // SQLite's page cap is a full disk as SQLite sees it: SQLITE_FULL at the first page
        // the commit needs beyond the file's present size.
        try store.writer.write { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count")!
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
        let (output, checkpoint) = Self.twoWindows()
        do {
            try store.commit(output, checkpoint: checkpoint, source: "test")
            Issue.record("the commit fit in a full store")
        } catch let e as StoreError {
            #expect(e.kind == .diskFull)
            #expect(e.isRetriable)
            #expect(e.description.contains("the disk holding the store \(path) is full"), "\(e)")
            #expect(e.description.contains("free space"))
            #expect(!e.description.contains("INSERT") && !e.description.contains("SQLite error"), "no SQL text: \(e)")
        }
        #expect(try store.windowReports(model: "shop").isEmpty, "nothing of the failed commit was kept")
        #expect(try store.checkpoint(source: "test") == nil)
        try store.writer.write { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
        try store.commit(output, checkpoint: checkpoint, source: "test")
        #expect(try store.windowReports(model: "shop") == output.reports, "the retried commit writes exactly what the failed one held")
        #expect(try store.outboxCount() == output.transitions.filter(\.notifies).count, "each notification once")
    }

    @Test("a file that is not an SQLite database is refused with what it is and what to do")
    func notADatabase() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("alerts.sqlite", "model,feature,psi\nshop,amount,0.3\n")
        do {
            _ = try AlertStore(path: path)
            Issue.record("a CSV file opened as a store")
        } catch let e as StoreError {
            #expect(e.kind == .notAStore)
            #expect(e.description.contains("\(path) is not a driftd store: it is not an SQLite database (it begins \"model,feature,psi.shop,a"), "\(e)")
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("model,feature"), "the file is left as it was")
    }

    @Test("another program's SQLite database is refused, not filled with driftd's tables")
    func foreignDatabase() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("app.db").path
        try DatabaseQueue(path: path).write { db in try db.execute(sql: "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)") }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect { try AlertStore(path: path) } throws: { e in
            (e as? StoreError)?.kind == .notAStore && "\(e)".contains("another program (tables users)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "the refused file is left byte for byte as it was (no switch to WAL)")
        let tables = try DatabaseQueue(path: path).read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
        #expect(tables == ["users"])
    }

    @Test("a store cut short (a truncated copy) is refused at open")
    func truncatedStore() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("s.sqlite").path
        do {
            let store = try AlertStore(path: path)
            try store.saveBaseline(Self.baseline, activate: true, actor: "t")
            let (output, checkpoint) = Self.twoWindows()
            try store.commit(output, checkpoint: checkpoint, source: "test")
        }
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"), "the last connection checkpointed and removed the log")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(size > 8 * 4096)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(size / 2))
        try handle.close()
        #expect { try AlertStore(path: path) } throws: { e in
            (e as? StoreError)?.kind == .corrupt && "\(e)".contains("the store \(path) is truncated: its header says \(size) bytes, the file has \(size / 2)")
                && "\(e)".contains("restore it from a backup")
        }
    }

    @Test("a store of an older schema is copied whole before its schema is upgraded; current and new stores are not")
    func backupBeforeMigrating() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("old.sqlite").path
        // A store as an older driftd left it: the first two migrations and a baseline.
        let older = Array(StoreMigrations.migrator.migrations.prefix(2))
        do {
            let pool = try DatabasePool(path: path)
            try StoreMigrations.migrator.migrate(pool, upTo: older[1])
            try pool.write { db in
                try db.execute(sql: "INSERT INTO baselines (model, version, created_at, active, record_count, body) VALUES ('shop', 'v0', 0, 1, 10, '{}')")
            }
        }
        let store = try AlertStore(path: path)
        let copy = try #require(store.migrationBackup)
        #expect(copy.hasPrefix(path + ".before-v3-"), "\(copy)")
        #expect(copy.contains(/\.before-v3-\d{8}T\d{6}Z$/))
        let kept = try AlertStore.check(path: copy)
        #expect(kept.isOK)
        #expect(kept.summary?.appliedMigrations == older, "the copy is the store as it was, before the upgrade")
        #expect(kept.summary?.tables.first { $0.table == "baselines" }?.rows == 1)
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: copy)[.posixPermissions] as? Int)
        #expect(mode & 0o777 == 0o600)
        #expect(try AlertStore.check(path: path).summary?.pendingMigrations.isEmpty == true, "the store itself was upgraded")
        #expect(try AlertStore(path: path).migrationBackup == nil, "a current store is not copied again")
        #expect(try AlertStore(path: dir.url.appendingPathComponent("new.sqlite").path).migrationBackup == nil, "nor is a new one")
    }

    @Test("a reading command does not upgrade the schema of a store another driftd is writing; with no writer it does")
    func readersLeaveSchemaToTheWriter() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("old.sqlite").path
        try StoreMigrations.migrator.migrate(try DatabasePool(path: path), upTo: StoreMigrations.migrator.migrations[2])
        var daemon: StoreLock? = try StoreLock(store: path, command: "driftd run")
        let reader = try AlertStore(path: path)
        #expect(reader.migrationBackup == nil)
        #expect(try AlertStore.check(path: path).summary?.pendingMigrations.isEmpty == false, "left for the writer")
        #expect(try reader.baselines().isEmpty, "and it still reads")
        daemon = nil
        _ = daemon
        let alone = try AlertStore(path: path)
        #expect(alone.migrationBackup != nil)
        #expect(try AlertStore.check(path: path).summary?.pendingMigrations.isEmpty == true)
    }

    @Test("a store reached through a link is checked, locked and opened where the file is")
    func linkedStore() throws {
        let dir = try TemporaryDirectory()
        let real = dir.url.appendingPathComponent("real/s.sqlite").path
        do {
            let store = try AlertStore(path: real)
            try store.saveBaseline(Self.baseline, activate: true, actor: "t")
        }
        let link = dir.url.appendingPathComponent("alias.sqlite").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        let store = try AlertStore(path: link, writerCommand: "driftd run")
        #expect(try store.baseline(model: "shop") == Self.baseline, "not refused as truncated: the link's own size is not the store's")
        #expect(store.lock?.path == real + ".lock", "one lock for every path to the store")
        #expect { try AlertStore(path: real, writerCommand: "driftd replay") } throws: { ($0 as? StoreError)?.kind == .inUse }
    }

    @Test("a new store and its write-ahead log are readable by their owner only")
    func privateFiles() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("state/s.sqlite").path
        let store = try AlertStore(path: path, writerCommand: "driftd run")
        try store.saveBaseline(Self.baseline, activate: true, actor: "t")
        for file in [path, path + "-wal", path + "-shm", path + ".lock"] {
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
            #expect(mode & 0o777 == 0o600, "\(file): \(String(mode, radix: 8))")
        }
    }
}
