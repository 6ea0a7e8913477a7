import DriftKafka
import DriftTestTraits
import DriftTesting
import Foundation
import Testing

/// Scale-out on Kafka: daemons of one consumer group, each with its own store, split the
/// partitions; a daemon that leaves hands its partitions over with their open windows and
/// alert states through the checkpoint topic. Across both stores every window is reported
/// exactly once and equals what `driftd replay` reports over the same records.
@Suite("two daemons in one consumer group", .serialized, .offThePool)
struct KafkaScaleOutTests {
    static let models = (0..<4).map { "shop\($0)" }
    static let window = 1000

    @Test("partitions are shared, handed over with their state, and every record counts once")
    func shareAndHandOver() throws {
        let broker = try EmbeddedBroker()
        let topic = "scale-\(UUID().uuidString.prefix(6))"
        try broker.createTopic(topic, partitions: Self.models.count)
        try broker.createTopic("\(topic)-checkpoints", partitions: 1)
        let dir = try TemporaryDirectory()
        let modelsYAML = Self.models.map { "  - id: \($0)\n    window: { count: \(Self.window) }\n" }.joined()
        func daemonConfig(_ name: String) throws -> String {
            try dir.write("\(name).yaml", """
                store: \(name).sqlite
                models:
                \(modelsYAML)kafka:
                  bootstrap: \(broker.bootstrapServers)
                  topics: [\(topic)]
                  group: driftd-scale
                  checkpoint_topic: \(topic)-checkpoints
                  properties: { session.timeout.ms: "6000", heartbeat.interval.ms: "500" }
                """)
        }
        let configs = [try daemonConfig("a"), try daemonConfig("b")]
        let replayConfig = try dir.write("replay.yaml", "store: replay.sqlite\nmodels:\n\(modelsYAML)")
        var streams: [[String]] = []
        for (k, model) in Self.models.enumerated() {
            let reference = try dir.write("reference-\(model).jsonl", SyntheticStream(model: model, seed: UInt64(10 + k)).text(4000))
            for c in configs + [replayConfig] {
                let fit = try DriftdProcess.run(["baseline", "fit", "--config", c, "--model", model, "--from", reference, "--version", "v1"])
                #expect(fit.status == 0, "\(fit.standardError)")
            }
            // Half the models drift part-way, so alerts are handed over too.
            streams.append(SyntheticStream(model: model, seed: UInt64(20 + k), driftFrom: k % 2 == 0 ? 3_000 : nil).records(8_000))
        }
        let producer = try KafkaProducer(properties: ["bootstrap.servers": broker.bootstrapServers])
        // Records keyed by model: model k's records all go to partition k.
        func publish(_ range: Range<Int>) throws {
            for (k, records) in streams.enumerated() {
                for r in records[range] { try producer.send(topic: topic, partition: Int32(k), key: Self.models[k], value: r) }
            }
            try producer.flush()
        }
        func windows(_ config: String) -> [String: [JSONValue]] {
            var byModel: [String: [JSONValue]] = [:]
            for model in Self.models {
                let r = try? DriftdProcess.run(["report", "--config", config, "--model", model, "--format", "json"])
                byModel[model] = r.flatMap { try? JSONValue.parse($0.standardOutput) }?.array ?? []
            }
            return byModel
        }
        func total() -> Int { configs.map { windows($0).values.map(\.count).reduce(0, +) }.reduce(0, +) }
        func waitForTotal(_ n: Int, seconds: Double) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline { if total() >= n { return true }; usleep(300_000) }
            return false
        }
        func start(_ config: String, log: String) throws -> Process {
            let p = Process()
            p.executableURL = DriftdProcess.executable
            p.arguments = ["run", "--config", config]
            p.standardOutput = FileHandle.nullDevice
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            try p.run()
            return p
        }
        func stop(_ p: Process) {
            kill(p.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(30)
            while p.isRunning && Date() < deadline { usleep(100_000) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL); Issue.record("a daemon did not exit within 30 s of SIGTERM") }
            p.waitUntilExit()
        }
        let logs = [dir.url.appendingPathComponent("a.log").path, dir.url.appendingPathComponent("b.log").path]
        defer { for l in logs { print("--- \(l)\n" + ((try? String(contentsOfFile: l, encoding: .utf8)) ?? "")) } }

        // A alone: three windows per model, and an open window of 500 records each.
        try publish(0..<3_500)
        let a = try start(configs[0], log: logs[0])
        #expect(waitForTotal(12, seconds: 40))
        // B joins: the partitions are split, B's share arrives with A's open windows.
        let b = try start(configs[1], log: logs[1])
        // The rebalance is done once B has taken its share over with A's handovers (it says so).
        let rebalanced = Date().addingTimeInterval(60)
        while Date() < rebalanced, !((try? String(contentsOfFile: logs[1], encoding: .utf8)) ?? "").contains("took over") { usleep(100_000) }
        let open = try KafkaTopicSnapshot.latestByKey(properties: ["bootstrap.servers": broker.bootstrapServers], topic: "\(topic)-checkpoints")
        print("scale-out: handover sizes with a window half full \(open.values.map(\.count).sorted()) bytes (one model each)")
        try publish(3_500..<6_000)
        #expect(waitForTotal(24, seconds: 60))
        let aWindows = windows(configs[0]).values.map(\.count).reduce(0, +)
        let bWindows = windows(configs[1]).values.map(\.count).reduce(0, +)
        #expect(bWindows > 0, "B took a share of the partitions")
        // A leaves: B takes A's partitions over with their state.
        stop(a)
        #expect(a.terminationStatus == 0)
        try publish(6_000..<8_000)
        #expect(waitForTotal(32, seconds: 60))
        stop(b)
        #expect(b.terminationStatus == 0)
        print("scale-out: A reported \(aWindows) windows before leaving, B \(bWindows) by then; 32 in all expected")
        // The checkpoint topic holds the latest handover of each of the four partitions.
        let handovers = try KafkaTopicSnapshot.latestByKey(properties: ["bootstrap.servers": broker.bootstrapServers],
                                                           topic: "\(topic)-checkpoints")
        #expect(handovers.keys.sorted() == (0..<Self.models.count).map { "driftd-scale/\(topic)/\($0)" })
        print("scale-out: handover sizes \(handovers.values.map(\.count).sorted()) bytes (one model each)")
        let bLog = (try? String(contentsOfFile: logs[1], encoding: .utf8)) ?? ""
        #expect(bLog.contains("took over"), "B says which partitions it took over")

        // Replay of the same records: the union of both stores equals it, each window once.
        let file = try dir.write("stream.jsonl", streams.flatMap { $0 }.joined(separator: "\n") + "\n")
        #expect(try DriftdProcess.run(["replay", "--config", replayConfig, file]).status == 0)
        let replayed = windows(replayConfig)
        let fromA = windows(configs[0]), fromB = windows(configs[1])
        for model in Self.models {
            let union = ((fromA[model] ?? []) + (fromB[model] ?? [])).sorted { ($0["window_index"]?.number ?? 0) < ($1["window_index"]?.number ?? 0) }
            #expect(union.count == 8, "\(model): 8 windows across both stores")
            let same = union == (replayed[model] ?? [])
            #expect(same, "\(model): the union of both stores equals the replay")
        }
        // Alert transitions, merged per fingerprint across the stores, equal the replay's.
        func transitions(_ config: String) throws -> [String: [JSONValue]] {
            let alerts = try JSONValue.parse(try DriftdProcess.run(["alerts", "--config", config, "--format", "json"]).standardOutput).array ?? []
            var byFingerprint: [String: [JSONValue]] = [:]
            for alert in alerts {
                let fingerprint = ["model", "feature", "rule"].map { alert[$0]?.string ?? "-" }.joined(separator: "/")
                byFingerprint[fingerprint, default: []] += alert["transitions"]?.array ?? []
            }
            return byFingerprint
        }
        let merged = try transitions(configs[0]).merging(try transitions(configs[1])) { x, y in
            (x + y).sorted { ($0["window_index"]?.number ?? 0) < ($1["window_index"]?.number ?? 0) }
        }
        let expected = try transitions(replayConfig)
        #expect(!expected.isEmpty, "the drifting models fire")
        let sameTransitions = merged == expected
        #expect(sameTransitions, "alert transitions across both stores equal the replay's: \(merged.count) vs \(expected.count) fingerprints")
    }
}
