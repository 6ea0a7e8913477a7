import DriftKafka
import DriftTestTraits
import DriftTesting
import Foundation
import Testing

/// `driftd run` against the embedded broker: records published with a real producer give
/// the same window reports as `driftd replay` of the same records; malformed messages go to
/// dead letters with topic, partition and offset; SIGTERM drains and exits 0.
@Suite("driftd run on the embedded broker", .serialized, .offThePool)
struct KafkaRunTests {
    @Test("published records give the replay's window reports; SIGTERM checkpoints and exits 0")
    func runMatchesReplay() async throws {
        let broker = try EmbeddedBroker()
        let topic = "inference-\(UUID().uuidString.prefix(6))"
        try broker.createTopic(topic, partitions: 1)
        try broker.createTopic("\(topic)-alerts", partitions: 1)
        let dir = try TemporaryDirectory()
        // On-call is paged through an exec receiver that appends each notification to a file.
        let pages = dir.url.appendingPathComponent("pages.jsonl").path
        let config = try dir.write("driftd.yaml", """
            store: run.sqlite
            models:
              - id: shop
                window: { count: 2000 }
            kafka:
              bootstrap: \(broker.bootstrapServers)
              topics: [\(topic)]
              group: driftd-test
              alerts_topic: \(topic)-alerts
              properties: { session.timeout.ms: "6000" }
            receivers:
              - { name: pager, type: exec, command: [sh, -c, "cat >> \(pages); echo >> \(pages)"], timeout: 5s }
            route:
              receiver: pager
              group_by: [model]
              group_wait: 0s
              group_interval: 1s
            http: { listen: "127.0.0.1:0" }
            """)
        let replayConfig = try dir.write("replay.yaml", "store: replay.sqlite\nmodels:\n  - id: shop\n    window: { count: 2000 }\n")
        let reference = try dir.write("reference.jsonl", SyntheticStream(seed: 7).text(6000))
        for c in [config, replayConfig] {
            let fit = try DriftdProcess.run(["baseline", "fit", "--config", c, "--model", "shop", "--from", reference, "--version", "v1"])
            #expect(fit.status == 0, "\(fit.standardError)")
        }
        var records = SyntheticStream(seed: 8, driftFrom: 8_000).records(16_000)
        let stream = try dir.write("stream.jsonl", records.joined(separator: "\n") + "\n")
        records.insert("{\"model\":\"shop\",\"features\":{\"amount\":NaN}}", at: 5_000)
        let producer = try KafkaProducer(properties: ["bootstrap.servers": broker.bootstrapServers])
        for r in records { try producer.send(topic: topic, key: "shop", value: r) }
        try producer.flush()

        // A systemd-style notification socket: the daemon must say READY=1 once consuming.
        let notifyPath = dir.url.appendingPathComponent("notify.sock").path
        let notify = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(notify) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (k, b) in notifyPath.utf8.enumerated() { raw[k] = b } }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(notify, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        let daemon = Process()
        daemon.executableURL = DriftdProcess.executable
        daemon.arguments = ["run", "--config", config]
        daemon.environment = ProcessInfo.processInfo.environment.merging(["NOTIFY_SOCKET": notifyPath]) { $1 }
        let errPath = dir.url.appendingPathComponent("run.log").path
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        daemon.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        daemon.standardOutput = FileHandle.nullDevice
        try daemon.run()
        // Wait (bounded) until the daemon has closed all 8 windows.
        var windows = 0
        let deadline = Date().addingTimeInterval(40)
        while windows < 8 && Date() < deadline {
            usleep(300_000)
            let report = try DriftdProcess.run(["report", "--config", config, "--model", "shop", "--format", "json"])
            windows = (try? JSONValue.parse(report.standardOutput))?.array?.count ?? 0
        }
        // The API and /metrics of the running daemon (the address is printed, port chosen by the OS).
        let runLog = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        let base = try #require(DriftdProcess.apiURL(inLog: runLog), "\(runLog)")
        let api = HTTPClient(base)
        #expect(try await api.json("/readyz")["status"]?.string == "ready", "ready once it holds its partition")
        // Lag is sampled once a second from librdkafka's view of the partition's end, so a
        // scrape may still show the lag of a moment ago: wait (bounded) for it to reach 0.
        var scrape = try await api.get("/metrics").body
        func sample(_ series: String) -> Double? {
            scrape.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
        }
        for _ in 0..<100 where sample("driftd_consumer_lag_records{partition=\"\(topic)/0\"}") != 0 {
            try await Task.sleep(for: .milliseconds(200))
            scrape = try await api.get("/metrics").body
        }
        #expect(sample("driftd_records_total") == 16_001, "every record, the malformed one included: \(scrape.prefix(3000))")
        #expect(sample("driftd_records_rejected_total") == 1)
        #expect(sample("driftd_windows_closed_total{model=\"shop\"}") == 8)
        #expect(sample("driftd_consumer_lag_records{partition=\"\(topic)/0\"}") == 0, "caught up")
        #expect(scrape.contains("driftd_feature_psi{model=\"shop\",feature=\"amount\"}"))
        let apiAlerts = try await api.json("/api/v1/alerts?limit=1000")
        let cliAlerts = try JSONValue.parse(try DriftdProcess.run(["alerts", "--config", config, "--format", "json"]).standardOutput).array ?? []
        #expect(apiAlerts["total"]?.number == Double(cliAlerts.count))
        // The notifier, beside the consume loop, pages for what fired.
        let pageDeadline = Date().addingTimeInterval(30)
        while Date() < pageDeadline, !((try? String(contentsOfFile: pages, encoding: .utf8)) ?? "").contains("firing") { usleep(200_000) }
        var delivered = 0.0
        for _ in 0..<50 where delivered < 1 {
            let line = try await api.get("/metrics").body.split(separator: "\n").first { $0.hasPrefix("driftd_deliveries_total{receiver=\"pager\"} ") }
            delivered = line.flatMap { Double($0.split(separator: " ").last!) } ?? 0
            if delivered < 1 { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(delivered >= 1, "deliveries are counted by receiver")
        kill(daemon.processIdentifier, SIGTERM)
        let exitDeadline = Date().addingTimeInterval(30)
        while daemon.isRunning && Date() < exitDeadline { usleep(100_000) }
        if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL); Issue.record("the daemon did not exit within 30 s of SIGTERM") }
        daemon.waitUntilExit()
        let log = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        print("driftd run log:\n\(log)")
        #expect(daemon.terminationStatus == 0, "\(log)")
        #expect(windows == 8)
        var notices = [UInt8](repeating: 0, count: 4096)
        let received = recv(notify, &notices, notices.count, Int32(MSG_DONTWAIT))
        #expect(received > 0 && String(decoding: notices.prefix(max(received, 0)), as: UTF8.self).hasPrefix("READY=1"))

        let replay = try DriftdProcess.run(["replay", "--config", replayConfig, stream])
        #expect(replay.status == 0)
        let a = try JSONValue.parse(try DriftdProcess.run(["report", "--config", config, "--model", "shop", "--format", "json"]).standardOutput)
        let b = try JSONValue.parse(try DriftdProcess.run(["report", "--config", replayConfig, "--model", "shop", "--format", "json"]).standardOutput)
        #expect(a == b, "Kafka and file give the same window reports")
        let alertsA = try JSONValue.parse(try DriftdProcess.run(["alerts", "--config", config, "--format", "json"]).standardOutput)
        let alertsB = try JSONValue.parse(try DriftdProcess.run(["alerts", "--config", replayConfig, "--format", "json"]).standardOutput)
        #expect(alertsA == alertsB)
        // Every notifying transition was also published to the alerts topic.
        let notifying = (alertsA.array ?? []).flatMap { $0["transitions"]?.array ?? [] }
            .filter { ["firing", "severity_changed", "resolved"].contains($0["kind"]?.string ?? "") }.count
        var published: [String] = []
        let reader = try KafkaConsumer(properties: ["bootstrap.servers": broker.bootstrapServers, "group.id": "alerts-reader",
                                                    "auto.offset.reset": "earliest", "session.timeout.ms": "6000"],
                                       subscribe: ["\(topic)-alerts"], onAssign: { _ in [:] }, onRevoke: { _ in })
        let readDeadline = Date().addingTimeInterval(20)
        while published.count < notifying && Date() < readDeadline {
            reader.poll(maximum: 100, timeoutMilliseconds: 200) { published.append(String(decoding: $0.payload, as: UTF8.self)) }
        }
        reader.close()
        #expect(notifying > 0 && published.count == notifying)
        #expect(published.allSatisfy { $0.contains("\"fingerprint\"") })
        let paged = ((try? String(contentsOfFile: pages, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
        #expect(!paged.isEmpty, "driftd run paged on-call through the exec receiver")
        #expect(paged.first?["status"]?.string == "firing")
        let letters = try JSONValue.parse(try DriftdProcess.run(["deadletters", "--config", config, "--format", "json"]).standardOutput).array ?? []
        #expect(letters.count == 1)
        #expect(letters.first?["source"]?.string == "kafka:\(topic)/0@5000")
    }

    static let kcat = ["/usr/bin/kcat", "/usr/local/bin/kcat"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test("a Kafka property librdkafka refuses fails at start with the property, the remedy and the kind of failure, exit 2, no usage text")
    func badKafkaProperty() throws {
        let dir = try TemporaryDirectory()
        let config = try dir.write("driftd.yaml", """
            store: run.sqlite
            models:
              - id: shop
            kafka:
              bootstrap: 127.0.0.1:1
              topics: [inference]
              group: driftd-test
              properties: { no.such.property: "1" }
            """)
        let reference = try dir.write("reference.jsonl", SyntheticStream(seed: 7).text(500))
        #expect(try DriftdProcess.run(["baseline", "fit", "--config", config, "--model", "shop", "--from", reference]).status == 0)
        let run = try DriftdProcess.run(["run", "--config", config])
        #expect(run.status == 2)
        #expect(run.standardError.contains("Kafka property no.such.property"), "\(run.standardError)")
        #expect(run.standardError.contains("check the `kafka.properties`"))
        #expect(run.standardError.contains("[kafka configuration]"))
        #expect(!run.standardError.contains("Usage:"), "a failure at run time is not a usage mistake")
    }

    @Test("records published with kcat, an independent Kafka client, give the replay's reports",
          .enabled(if: kcat != nil, "kcat is not installed (scripts/install-deps installs it)"))
    func kcatPublishedRecords() throws {
        let s = try KafkaFaultTests.Setup(records: 6_000)
        let stream = try s.dir.write("kcat.jsonl", s.records.joined(separator: "\n") + "\n")
        // kcat sends each line of the file as one message, keyed by model.
        let kcat = Process()
        kcat.executableURL = URL(fileURLWithPath: Self.kcat!)
        kcat.arguments = ["-P", "-b", s.broker.bootstrapServers, "-t", s.topic, "-k", "shop", "-l", stream]
        try kcat.run()
        kcat.waitUntilExit()
        #expect(kcat.terminationStatus == 0)
        let run = try DriftdProcess.run(["run", "--config", s.config, "--exit-after-records", "6000"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(s.windows() == 6)
        try s.expectSameAsReplay()
    }
}
