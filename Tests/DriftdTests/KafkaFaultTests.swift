import DriftKafka
import DriftTestTraits
import DriftTesting
import Foundation
import Testing

/// Faults on Kafka: the broker goes down mid-stream and comes back; the daemon is killed
/// with SIGKILL and restarted. Either way the window reports and alerts equal those of
/// `driftd replay` over the same records: nothing lost, nothing counted twice.
@Suite("driftd run under faults", .serialized, .offThePool)
struct KafkaFaultTests {
    struct Setup {
        let broker: EmbeddedBroker
        let topic: String
        let dir: TemporaryDirectory
        let config: String
        let replayConfig: String
        let records: [String]

        /// - Parameter store: where the daemon's store lives (a small file system in the
        ///   storage-fault tests); beside the configuration by default.
        init(records count: Int, store: String = "run.sqlite", http: Bool = false) throws {
            broker = try EmbeddedBroker()
            topic = "faults-\(UUID().uuidString.prefix(6))"
            try broker.createTopic(topic, partitions: 1)
            dir = try TemporaryDirectory()
            config = try dir.write("driftd.yaml", """
                store: \(store)
                models:
                  - id: shop
                    window: { count: 1000 }
                kafka:
                  bootstrap: \(broker.bootstrapServers)
                  topics: [\(topic)]
                  group: driftd-faults
                  properties: { session.timeout.ms: "6000", reconnect.backoff.max.ms: "500" }
                """ + (http ? "\nhttp: { listen: \"127.0.0.1:0\" }\n" : ""))
            replayConfig = try dir.write("replay.yaml", "store: replay.sqlite\nmodels:\n  - id: shop\n    window: { count: 1000 }\n")
            let reference = try dir.write("reference.jsonl", SyntheticStream(seed: 7).text(5000))
            for c in [config, replayConfig] {
                let fit = try DriftdProcess.run(["baseline", "fit", "--config", c, "--model", "shop", "--from", reference, "--version", "v1"])
                #expect(fit.status == 0)
            }
            records = SyntheticStream(seed: 9, driftFrom: count / 2).records(count)
        }

        func publish(_ slice: ArraySlice<String>) throws {
            // Idempotent, so a produce retried after a lost acknowledgement (the broker just back
            // up, a loaded machine) cannot put a record in the log twice: the log must hold the
            // stream exactly once for "nothing twice" to be the daemon's doing.
            let producer = try KafkaProducer(properties: ["bootstrap.servers": broker.bootstrapServers, "enable.idempotence": "true"])
            for r in slice { try producer.send(topic: topic, key: "shop", value: r) }
            try producer.flush()
        }

        func startDaemon(_ extra: [String] = [], log: String? = nil) throws -> Process {
            let p = Process()
            p.executableURL = DriftdProcess.executable
            p.arguments = ["run", "--config", config] + extra
            p.standardOutput = FileHandle.nullDevice
            if let log {
                _ = FileManager.default.createFile(atPath: log, contents: nil)
                p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            } else {
                p.standardError = FileHandle.nullDevice
            }
            try p.run()
            return p
        }

        func windows() -> Int {
            let r = try? DriftdProcess.run(["report", "--config", config, "--model", "shop", "--format", "json"])
            return r.flatMap { try? JSONValue.parse($0.standardOutput) }?.array?.count ?? 0
        }

        func waitForWindows(_ n: Int, seconds: Double) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline { if windows() >= n { return true }; usleep(250_000) }
            return false
        }

        func stop(_ p: Process) {
            kill(p.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(30)
            while p.isRunning && Date() < deadline { usleep(100_000) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
        }

        func expectSameAsReplay() throws {
            let file = try dir.write("stream.jsonl", records.joined(separator: "\n") + "\n")
            #expect(try DriftdProcess.run(["replay", "--config", replayConfig, file]).status == 0)
            for command in [["report", "--model", "shop"], ["alerts"]] {
                let a = try JSONValue.parse(try DriftdProcess.run([command[0], "--config", config] + command.dropFirst() + ["--format", "json"]).standardOutput)
                let b = try JSONValue.parse(try DriftdProcess.run([command[0], "--config", replayConfig] + command.dropFirst() + ["--format", "json"]).standardOutput)
                #expect(a == b, "\(command[0]) equal to the replay's")
            }
        }
    }

    @Test("no broker reachable: /readyz names the Kafka error and how long the daemon has held no partition")
    func readinessNamesKafkaError() throws {
        let dir = try TemporaryDirectory()
        // Port 1 on loopback: nothing listens, every connection is refused at once.
        let config = try dir.write("driftd.yaml", """
            store: s.sqlite
            models:
              - id: shop
                window: { count: 1000 }
            kafka: { bootstrap: "127.0.0.1:1", topics: [inference], group: driftd-nobroker }
            http: { listen: "127.0.0.1:0" }
            """)
        let reference = try dir.write("reference.jsonl", SyntheticStream(seed: 7).text(2000))
        #expect(try DriftdProcess.run(["baseline", "fit", "--config", config, "--model", "shop", "--from", reference]).status == 0)
        let log = dir.url.appendingPathComponent("run.log").path
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let daemon = Process()
        daemon.executableURL = DriftdProcess.executable
        daemon.arguments = ["run", "--config", config]
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try daemon.run()
        defer { kill(daemon.processIdentifier, SIGKILL); daemon.waitUntilExit() }
        let text = { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline && DriftdProcess.apiURL(inLog: text()) == nil { usleep(100_000) }
        let api = try #require(DriftdProcess.apiURL(inLog: text()))
        // The seconds grow with each status tick (about one a second; a loaded machine may skip one).
        func seconds(_ body: String) -> Int { body.firstMatch(of: /no partitions assigned for (\d+) s/).flatMap { Int($0.1) } ?? -1 }
        var ready = blockingGet(api + "/readyz")
        while Date() < deadline && seconds(ready.body) < 2 { usleep(200_000); ready = blockingGet(api + "/readyz") }
        #expect(ready.status == 503)
        #expect(seconds(ready.body) >= 2, "\(ready.body)")
        #expect(ready.body.contains(" s; kafka: 127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused"), "\(ready.body)")
        #expect(ready.body.contains("check kafka.bootstrap"))
    }

    @Test("the broker goes down for several seconds mid-stream and comes back: nothing lost, nothing twice")
    func brokerDown() throws {
        let s = try Setup(records: 8000)
        try s.publish(s.records[..<4000])
        let daemon = try s.startDaemon()
        #expect(s.waitForWindows(4, seconds: 40))
        s.broker.setBroker(1, up: false)
        sleep(4)
        #expect(daemon.isRunning, "broker trouble never kills the daemon")
        s.broker.setBroker(1, up: true)
        try s.publish(s.records[4000...])
        #expect(s.waitForWindows(8, seconds: 60))
        s.stop(daemon)
        #expect(daemon.terminationStatus == 0)
        try s.expectSameAsReplay()
    }

    @Test("SIGKILL at random moments and restart: the same reports and alerts as the replay")
    func killAndRestart() throws {
        let s = try Setup(records: 12_000)
        var g = SeededGenerator(seed: 4)
        // Each round publishes 2,500 records of its third of the stream (two windows and half
        // of the next), kills the daemon at a random moment once it has reported those two,
        // and publishes the rest of the third while no daemon runs: every kill lands
        // mid-stream, with a window open, never after the stream is done.
        for round in 0..<3 {
            let third = round * 4_000
            let daemon = try s.startDaemon()
            try s.publish(s.records[third..<third + 2_500])
            #expect(s.waitForWindows(round * 4 + 2, seconds: 60))
            usleep(UInt32.random(in: 0...400_000, using: &g))
            let before = s.windows()
            #expect(daemon.isRunning, "the daemon was still running when the kill came")
            kill(daemon.processIdentifier, SIGKILL)
            daemon.waitUntilExit()
            // The kill landed: the process died of it, mid-stream.
            #expect(daemon.terminationReason == .uncaughtSignal && daemon.terminationStatus == SIGKILL,
                    "ended by SIGKILL, not by itself (reason \(daemon.terminationReason.rawValue), status \(daemon.terminationStatus))")
            #expect(before < (round + 1) * 4, "killed before its third of the stream was consumed (\(before) windows)")
            try s.publish(s.records[third + 2_500..<third + 4_000])
        }
        let last = try s.startDaemon()
        #expect(s.waitForWindows(12, seconds: 60))
        s.stop(last)
        #expect(last.terminationStatus == 0)
        try s.expectSameAsReplay()
    }

    @Test("a slow store pauses consumption until it catches up: nothing dropped, nothing twice")
    func slowStorePauses() throws {
        let s = try Setup(records: 10_000)
        let log = s.dir.url.appendingPathComponent("slow.log").path
        // Every store commit takes 1.5 s longer while a window closes every few hundred ms: the
        // writer's queue fills and the daemon must pause its partitions instead of piling
        // up commits.
        let daemon = try s.startDaemon(["--slow-store-ms", "1500"], log: log)
        // Publish once the daemon holds the partition (its status line says so).
        let joined = Date().addingTimeInterval(30)
        while Date() < joined, !((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains(" 1 partitions") { usleep(100_000) }
        for start in stride(from: 0, to: s.records.count, by: 500) {
            try s.publish(s.records[start..<min(start + 500, s.records.count)])
            usleep(50_000)
        }
        #expect(s.waitForWindows(10, seconds: 90))
        s.stop(daemon)
        #expect(daemon.terminationStatus == 0)
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(text.contains("partitions paused until it catches up"), "\(text.suffix(2000))")
        try s.expectSameAsReplay()
    }
}
