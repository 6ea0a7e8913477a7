import DriftTestTraits
import DriftTesting
import Foundation
import Testing

/// `driftd serve` over a store filled by a real `driftd replay`: every endpoint of the
/// document it serves answers, matches that document, and agrees with the CLI.
@Suite("driftd serve end to end", .serialized, .offThePool)
struct ServeTests {
    /// Starts `driftd serve` on a free port; returns the process and its base URL.
    static func serve(config: String, environment: [String: String] = [:], standardError: FileHandle = .standardError) throws -> (Process, String) {
        let process = Process()
        process.executableURL = DriftdProcess.executable
        process.arguments = ["serve", "--config", config, "--http", "127.0.0.1:0"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = standardError
        try process.run()
        var text = ""
        // Read until the dashboard line; an early exit ends the output (empty read).
        while !text.contains("metrics ") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first(where: { $0.contains("dashboard") }),
              let url = line.split(separator: " ").last, url.hasPrefix("http://") else {
            process.terminate()
            throw HTTPTestError("driftd serve did not print its address: \(text)")
        }
        return (process, String(url.dropLast(url.hasSuffix("/") ? 1 : 0)))
    }

    @Test("the served API matches its OpenAPI document over a replayed store, and SIGINT stops it cleanly")
    func serveAReplayedStore() async throws {
        let dir = try TemporaryDirectory()
        let config = try dir.write("driftd.yaml", "store: store.sqlite\nmodels:\n  - id: shop\n    window: { count: 2000 }\n")
        let reference = try dir.write("reference.jsonl", SyntheticStream(seed: 7).text(6000))
        #expect(try DriftdProcess.run(["baseline", "fit", "--config", config, "--model", "shop", "--from", reference, "--version", "v1"]).status == 0)
        let stream = try dir.write("stream.jsonl", "not json\n" + SyntheticStream(seed: 8, driftFrom: 10_000).text(20_000))
        #expect(try DriftdProcess.run(["replay", "--config", config, stream]).status == 0)
        let cli = try JSONValue.parse(try DriftdProcess.run(["alerts", "--config", config, "--format", "json"]).standardOutput).array ?? []
        #expect(!cli.isEmpty)

        let (process, base) = try Self.serve(config: config)
        defer { if process.isRunning { process.terminate() } }
        let client = HTTPClient(base)
        let document = try await client.get("/api/v1/openapi.json")
        let alerts = try await client.json("/api/v1/alerts?limit=1000")
        #expect(alerts["total"]?.number == Double(cli.count), "the API and driftd alerts agree")
        let id = try #require(alerts["alerts"]?.array?.first?["id"]?.number)
        try await client.json("/api/v1/alerts/\(Int(id))")
        let models = try await client.json("/api/v1/models")
        #expect(models["models"]?.array?.first?["latest_window"]?["window_index"]?.number == 9)
        let windows = try await client.json("/api/v1/models/shop/windows?last=10")
        #expect(windows["windows"]?.array?.count == 10)
        let series = try await client.json("/api/v1/models/shop/features/amount/series")
        #expect(series["points"]?.array?.count == 10)
        try await client.json("/api/v1/baselines")
        try await client.json("/api/v1/silences")
        let letters = try await client.json("/api/v1/deadletters")
        #expect(letters["dead_letters"]?.array?.first?["line"]?.number == 1)
        let audit = try await client.json("/api/v1/audit")
        #expect(audit["entries"]?.array?.last?["action"]?.string == "baseline.fit", "the store's first audit entry: its baseline")
        try await client.json("/healthz")
        #expect(try await client.json("/api/v1")["endpoints"]?.array?.isEmpty == false, "the API's root lists its endpoints")
        try await client.json("/readyz")
        // A Prometheus scraping serve sees the store's windows and drift, not only its alerts.
        let scrape = try await client.get("/metrics").body
        #expect(scrape.contains("driftd_alerts{state=\"firing\""))
        #expect(scrape.contains("driftd_windows_closed_total{model=\"shop\"} 10"), "\(scrape.prefix(2000))")
        #expect(scrape.contains("driftd_feature_psi{model=\"shop\",feature=\"amount\"}"))
        #expect(scrape.contains("driftd_feature_ks_statistic{model=\"shop\",feature=\"amount\"}"))
        #expect(try await client.get("/metrics").body.contains("driftd_windows_closed_total{model=\"shop\"} 10"), "a second scrape does not count the windows again")
        #expect(try await client.get("/").body.contains("<html"))
        #expect(try await client.request("POST", "/api/v1/alerts/\(Int(id))/ack").status == 401)

        let validation = try validateAgainstOpenAPI(client.exchanges.filter { $0.method == "GET" }, document: document.body)
        #expect(validation.status == 0, "\(validation.output)")

        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test("serve pages what a replay left in the outbox; an ack made through its API reaches the receiver that was paged; a second serve stands by and takes over")
    func servePagesAndHandsOver() async throws {
        let dir = try TemporaryDirectory()
        let pages = dir.url.appendingPathComponent("pages.jsonl").path
        let config = try dir.write("driftd.yaml", """
        store: store.sqlite
        models:
          - id: shop
            window: { count: 2000 }
        http: { token_env: DRIFTD_SERVE_TEST_TOKEN }
        receivers:
          - { name: pager, type: exec, command: [sh, -c, "cat >> '\(pages)'; echo >> '\(pages)'"], timeout: 5s }
        route: { receiver: pager, group_by: [model], group_wait: 0s, group_interval: 1s }
        """)
        let reference = try dir.write("reference.jsonl", SyntheticStream(seed: 7).text(6000))
        #expect(try DriftdProcess.run(["baseline", "fit", "--config", config, "--model", "shop", "--from", reference, "--version", "v1"]).status == 0)
        let stream = try dir.write("stream.jsonl", SyntheticStream(seed: 8, driftFrom: 10_000).text(20_000))
        #expect(try DriftdProcess.run(["replay", "--config", config, stream]).status == 0)
        func paged() -> [JSONValue] {
            ((try? String(contentsOfFile: pages, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
        }
        func waitFor(_ what: String, _ condition: () -> Bool) async throws {
            for _ in 0..<300 where !condition() { try await Task.sleep(for: .milliseconds(100)) }
            #expect(condition(), "\(what) within 30 s")
        }
        let token = ["DRIFTD_SERVE_TEST_TOKEN": "serve-test-token"]
        let firstLog = try dir.write("first.log", ""), secondLog = try dir.write("second.log", "")
        let (first, firstBase) = try Self.serve(config: config, environment: token, standardError: try FileHandle(forWritingTo: URL(fileURLWithPath: firstLog)))
        defer { if first.isRunning { first.terminate() } }
        try await waitFor("the firing alerts the replay left are paged") { paged().contains { $0["status"]?.string == "firing" } }

        // A second serve on the same store does not page the same receivers again.
        let (second, secondBase) = try Self.serve(config: config, environment: token, standardError: try FileHandle(forWritingTo: URL(fileURLWithPath: secondLog)))
        defer { if second.isRunning { second.terminate() } }
        try await waitFor("the second serve says it stands by") { ((try? String(contentsOfFile: secondLog, encoding: .utf8)) ?? "").contains("stands by") }

        let client = HTTPClient(firstBase)
        let alerts = try await client.json("/api/v1/alerts?state=firing&limit=1000")
        let ids = (alerts["alerts"]?.array ?? []).compactMap { $0["id"]?.number }.map { Int($0) }
        #expect(ids.count >= 2)
        let headers = ["Authorization": "Bearer serve-test-token", "Content-Type": "application/json"]
        let ack = try await client.request("POST", "/api/v1/alerts/\(ids[0])/ack", headers: headers, body: #"{"by": "ana", "note": "looking"}"#)
        #expect(ack.status == 200, "\(ack.body)")
        try await waitFor("the acknowledgement reaches the receiver") { paged().contains { $0["status"]?.string == "acknowledged" } }

        // The first one stops: the one standing by takes over, and a resolve made through it is paged.
        first.interrupt()
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        try await waitFor("the second serve takes over") { ((try? String(contentsOfFile: secondLog, encoding: .utf8)) ?? "").contains("took over paging") }
        let resolve = try await HTTPClient(secondBase).request("POST", "/api/v1/alerts/\(ids[1])/resolve", headers: headers, body: #"{"by": "ana"}"#)
        #expect(resolve.status == 200, "\(resolve.body)")
        try await waitFor("the resolution reaches the receiver") { paged().contains { $0["status"]?.string == "resolved" } }
        let firings = paged().filter { $0["status"]?.string == "firing" }.flatMap { $0["alerts"]?.array ?? [] }.compactMap { $0["alert_id"]?.number }
        #expect(firings.count == Set(firings).count, "no alert is paged as firing twice: \(firings)")
        second.interrupt()
        second.waitUntilExit()
        #expect(second.terminationStatus == 0)
    }

    @Test("a bad --http address is a usage error that says what is wrong")
    func badAddress() throws {
        let dir = try TemporaryDirectory()
        let config = try dir.write("driftd.yaml", "store: store.sqlite\nmodels:\n  - id: shop\n")
        let run = try DriftdProcess.run(["serve", "--config", config, "--http", "localhost"])
        #expect(run.status == 2)
        #expect(run.standardError.contains("--http: expected HOST:PORT"), "\(run.standardError)")
    }
}
