import DriftKafka
import DriftStore
import DriftTestTraits
import DriftTesting
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// A tmpfs of a few megabytes mounted for one test: a disk that really fills (SQLite gets
/// ENOSPC from the kernel) and really frees when the filler file goes. Mounting needs root,
/// as CI and this project's development machines run; elsewhere the tests that need one
/// are skipped (the store's own tests still cover a full disk through SQLite's page cap).
final class SmallFileSystem {
    struct MountFailure: Error { var path: String }
    let path: String

    static let available: Bool = {
        guard geteuid() == 0, let probe = try? SmallFileSystem(megabytes: 1) else { return false }
        _ = probe
        return true
    }()

    init(megabytes: Int) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("driftd-small-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard Self.command("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path]) == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            throw MountFailure(path: path)
        }
    }

    /// Bytes still free.
    var free: Int {
        var s = statvfs()
        return statvfs(path, &s) == 0 ? Int(s.f_bavail) * Int(s.f_frsize) : 0
    }

    /// Fills the file system until `leaving` bytes are free (0: until the kernel says ENOSPC).
    func fill(leaving: Int = 0) {
        let fd = open(path + "/filler", O_WRONLY | O_CREAT | O_APPEND, 0o600)
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0xAB, count: 4096)
        while free > leaving {
            if chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) <= 0 { break }
        }
    }

    /// Frees what `fill` took.
    func release() { unlink(path + "/filler") }

    deinit {
        _ = Self.command("/bin/umount", ["-l", path])
        try? FileManager.default.removeItem(atPath: path)
    }

    @discardableResult
    static func command(_ tool: String, _ arguments: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }
}

/// One blocking GET (the fault tests are synchronous): status and body.
func blockingGet(_ url: String) -> (status: Int, body: String) {
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var result = (status: 0, body: "")
    URLSession.shared.dataTask(with: URL(string: url)!) { data, response, _ in
        result = ((response as? HTTPURLResponse)?.statusCode ?? 0, data.map { String(decoding: $0, as: UTF8.self) } ?? "")
        done.signal()
    }.resume()
    _ = done.wait(timeout: .now() + 10)
    return result
}

/// `driftd run` and `replay` against the store's faults an operator meets: a second writer,
/// a disk that fills mid-stream and is freed again.
@Suite("driftd under store faults", .serialized, .offThePool)
struct StoreFaultRunTests {
    static func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    static func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline { if condition() { return true }; usleep(100_000) }
        return condition()
    }

    @Test("a second writer is refused at start naming the holder, readers work beside it, and a killed holder's store is taken over")
    func secondWriterRefused() throws {
        let s = try KafkaFaultTests.Setup(records: 2000)
        try s.publish(s.records[...])
        let store = s.dir.url.appendingPathComponent("run.sqlite").path
        let daemon = try s.startDaemon()
        #expect(Self.waitFor(30) { StoreLock.currentHolder(store: store) != nil }, "the daemon took the store's lock")
        let file = try s.dir.write("stream.jsonl", s.records.joined(separator: "\n") + "\n")
        let replay = try DriftdProcess.run(["replay", "--config", s.config, file])
        #expect(replay.status == 2)
        #expect(replay.standardError.contains("the store \(store) is in use by `driftd run` (pid \(daemon.processIdentifier) on "), "\(replay.standardError)")
        #expect(replay.standardError.contains("stop that one first"))
        #expect(!replay.standardError.contains("UNIQUE"), "refused at start, not mid-stream")
        let second = try DriftdProcess.run(["run", "--config", s.config])
        #expect(second.status == 2, "a second daemon on the same store is refused too")
        #expect(second.standardError.contains("is in use by `driftd run` (pid \(daemon.processIdentifier)"), "\(second.standardError)")
        #expect(try DriftdProcess.run(["alerts", "--config", s.config]).status == 0, "reading works beside the writer")
        kill(daemon.processIdentifier, SIGKILL)
        daemon.waitUntilExit()
        #expect(daemon.terminationReason == .uncaughtSignal, "the kill landed")
        let after = try DriftdProcess.run(["replay", "--config", s.config, file])
        #expect(after.status == 0, "\(after.standardError)")
        #expect(after.standardError.contains("took the store \(store) over from `driftd run` (pid \(daemon.processIdentifier)"), "\(after.standardError)")
    }

    @Test("the disk fills mid-stream under driftd run: it pauses, says so in /readyz, /metrics and the log, resumes once space is freed; results equal an uninterrupted replay",
          .enabled(if: SmallFileSystem.available, "needs root to mount a small tmpfs"))
    func diskFillsUnderRun() throws {
        let disk = try SmallFileSystem(megabytes: 4)
        let s = try KafkaFaultTests.Setup(records: 8000, store: disk.path + "/run.sqlite", http: true)
        let log = s.dir.url.appendingPathComponent("run.log").path
        try s.publish(s.records[..<4000])
        let daemon = try s.startDaemon(log: log)
        #expect(s.waitForWindows(4, seconds: 40))
        let api = try #require(DriftdProcess.apiURL(inLog: Self.text(log)))
        #expect(blockingGet(api + "/readyz").status == 200)
        disk.fill()
        try s.publish(s.records[4000...])
        #expect(Self.waitFor(40) { Self.text(log).contains("is full") }, "\(Self.text(log).suffix(1500))")
        var ready = blockingGet(api + "/readyz")
        #expect(Self.waitFor(5) { ready = blockingGet(api + "/readyz"); return ready.status == 503 }, "not ready while the store refuses writes")
        #expect(ready.body.contains("the store refuses writes") && ready.body.contains("disk_full"), "\(ready.body)")
        #expect(blockingGet(api + "/metrics").body.contains("driftd_store_errors_total{kind=\"disk_full\"}"))
        sleep(2)
        #expect(daemon.isRunning, "a full disk never ends the daemon")
        #expect(s.windows() < 8, "the windows after the fill were not written")
        disk.release()
        #expect(s.waitForWindows(8, seconds: 90), "it resumed by itself")
        #expect(Self.text(log).contains("takes writes again"), "\(Self.text(log).suffix(1500))")
        #expect(Self.waitFor(10) { blockingGet(api + "/readyz").status == 200 })
        s.stop(daemon)
        #expect(daemon.terminationStatus == 0)
        #expect(!Self.text(log).contains("SQLite error"), "operators read the store's words, not SQLite's")
        try s.expectSameAsReplay()
    }

    @Test("the disk fills mid-stream under driftd replay: it stops with the store and the remedy; rerun after freeing space, it equals an uninterrupted replay",
          .enabled(if: SmallFileSystem.available, "needs root to mount a small tmpfs"))
    func diskFillsUnderReplay() throws {
        let disk = try SmallFileSystem(megabytes: 4)
        let dir = try TemporaryDirectory()
        let models = "models:\n  - id: shop\n    window: { count: 500 }\n"
        let small = try dir.write("small.yaml", "store: \(disk.path)/small.sqlite\n" + models)
        let roomy = try dir.write("roomy.yaml", "store: roomy.sqlite\n" + models)
        let reference = try dir.write("reference.jsonl", SyntheticStream(seed: 7).text(5000))
        for c in [small, roomy] {
            #expect(try DriftdProcess.run(["baseline", "fit", "--config", c, "--model", "shop", "--from", reference, "--version", "v1"]).status == 0)
        }
        let stream = try dir.write("stream.jsonl", SyntheticStream(seed: 9, driftFrom: 10_000).text(20_000))
        disk.fill(leaving: 96 * 1024)
        let full = try DriftdProcess.run(["replay", "--config", small, stream])
        #expect(full.status == 2)
        #expect(full.standardError.contains("the disk holding the store \(disk.path)/small.sqlite is full"), "\(full.standardError)")
        #expect(full.standardError.contains("free space"))
        #expect(!full.standardError.contains("SQLite error") && !full.standardError.contains("COMMIT"), "\(full.standardError)")
        disk.release()
        let rerun = try DriftdProcess.run(["replay", "--config", small, stream])
        #expect(rerun.status == 0, "\(rerun.standardError)")
        #expect(try DriftdProcess.run(["replay", "--config", roomy, stream]).status == 0)
        for command in [["report", "--model", "shop"], ["alerts"]] {
            let a = try JSONValue.parse(try DriftdProcess.run([command[0], "--config", small] + command.dropFirst() + ["--format", "json"]).standardOutput)
            let b = try JSONValue.parse(try DriftdProcess.run([command[0], "--config", roomy] + command.dropFirst() + ["--format", "json"]).standardOutput)
            #expect(a == b, "\(command[0]) equal to the uninterrupted replay's")
            if command[0] == "report" { #expect(a.array?.count == 40) }
        }
    }

    @Test("driftd run started on a disk that is already full waits for space instead of exiting, then consumes",
          .enabled(if: SmallFileSystem.available, "needs root to mount a small tmpfs"))
    func startsOnAFullDisk() throws {
        let disk = try SmallFileSystem(megabytes: 4)
        let s = try KafkaFaultTests.Setup(records: 3000, store: disk.path + "/run.sqlite")
        try s.publish(s.records[...])
        disk.fill()
        let log = s.dir.url.appendingPathComponent("run.log").path
        let daemon = try s.startDaemon(log: log)
        #expect(Self.waitFor(20) { Self.text(log).contains("waiting for the store before consuming") }, "\(Self.text(log))")
        #expect(Self.text(log).contains("is full"), "a full disk is called one, not an I/O error: \(Self.text(log))")
        sleep(1)
        #expect(daemon.isRunning, "no exit into a restart loop")
        disk.release()
        #expect(s.waitForWindows(3, seconds: 60), "it started once there was room")
        s.stop(daemon)
        #expect(daemon.terminationStatus == 0)
    }

    @Test("reading commands refuse a store path that names nothing instead of creating an empty store")
    func readersNeedAStore() throws {
        let dir = try TemporaryDirectory()
        let config = try dir.write("driftd.yaml", "store: typo/s.sqlite\nmodels:\n  - id: shop\n")
        for command in [["alerts"], ["report", "--model", "shop"], ["deadletters"], ["baseline", "list"]] {
            let r = try DriftdProcess.run(Array(command.prefix(command[0] == "baseline" ? 2 : 1)) + ["--config", config] + command.dropFirst(command[0] == "baseline" ? 2 : 1))
            #expect(r.status == 2, "\(command)")
            #expect(r.standardError.contains("no store at \(dir.url.appendingPathComponent("typo/s.sqlite").path) (store: in \(config))"), "\(r.standardError)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("typo").path), "nothing created")
    }

    @Test("a writer that stops through an error leaves its lock released, not a crash for the next one to report")
    func errorExitReleasesLock() throws {
        let dir = try TemporaryDirectory()
        let config = try dir.write("driftd.yaml", """
            store: s.sqlite
            models:
              - id: shop
            kafka: { bootstrap: "127.0.0.1:1", topics: [inference], group: g }
            receivers:
              - { name: pager, type: webhook, url: "http://127.0.0.1:1/", secret_env: DRIFTD_TEST_UNSET_SECRET }
            route: { receiver: pager }
            """)
        let run = try DriftdProcess.run(["run", "--config", config])
        #expect(run.status == 2, "\(run.standardError)")
        let lock = dir.url.appendingPathComponent("s.sqlite.lock").path
        #expect(FileManager.default.fileExists(atPath: lock))
        #expect((try? FileManager.default.attributesOfItem(atPath: lock)[.size] as? Int) == 0, "emptied at exit")
        let reference = try dir.write("reference.jsonl", SyntheticStream(seed: 7).text(500))
        let stream = try dir.write("stream.jsonl", SyntheticStream(seed: 8).text(500))
        #expect(try DriftdProcess.run(["baseline", "fit", "--config", config, "--model", "shop", "--from", reference]).status == 0)
        let replay = try DriftdProcess.run(["replay", "--config", config, stream])
        #expect(replay.status == 0, "\(replay.standardError)")
        #expect(!replay.standardError.contains("did not end cleanly"), "\(replay.standardError)")
    }

    @Test("a truncated store is refused by every command with what to do")
    func truncatedRefused() throws {
        let dir = try TemporaryDirectory()
        let config = try dir.write("driftd.yaml", "store: s.sqlite\nmodels:\n  - id: shop\n    window: { count: 500 }\n")
        let reference = try dir.write("reference.jsonl", SyntheticStream(seed: 7).text(5000))
        #expect(try DriftdProcess.run(["baseline", "fit", "--config", config, "--model", "shop", "--from", reference]).status == 0)
        let path = dir.url.appendingPathComponent("s.sqlite").path
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(truncate(path, off_t(size / 2)) == 0)
        for command in [["alerts"], ["baseline", "list"], ["replay", reference]] {
            let r = try DriftdProcess.run(command.prefix(command[0] == "baseline" ? 2 : 1) + ["--config", config] + command.dropFirst(command[0] == "baseline" ? 2 : 1))
            #expect(r.status == 2)
            #expect(r.standardError.contains("the store \(path) is truncated"), "\(command): \(r.standardError)")
        }
    }
}
