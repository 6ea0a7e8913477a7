import DriftCore
import DriftHTTP
import DriftStats
import DriftStore
import DriftTestTraits
import DriftTesting
import Foundation
import Testing

/// A store filled through DriftStore's own commit calls: a baseline, windows of a drifting
/// stream (alerts firing from the window where the drift starts) and one dead letter.
struct FilledStore {
    let dir: TemporaryDirectory
    let store: AlertStore
    let output: PipelineOutput
    static let window = WindowConfiguration(basis: .count, size: 500, minimumSamples: 10)
    static var settingsModels: [APISettings.Model] {
        [APISettings.Model(id: "shop", window: window, rules: Rule.defaults,
                           inventory: ModelInventory(owner: "ana", team: "checkout", stage: .production, riskTier: "high", description: "Basket model"))]
    }

    init() throws {
        dir = try TemporaryDirectory()
        store = try AlertStore(path: dir.url.appendingPathComponent("store.sqlite").path)
        let baseline = SyntheticStream(seed: 3).baseline(records: 2000)
        try store.saveBaseline(baseline, activate: true, actor: "test")
        var pipeline = Pipeline(source: "test", monitors: [ModelMonitor(baseline: baseline, configuration: Self.window)],
                                rules: ["shop": Rule.defaults])
        var lines = SyntheticStream(seed: 5, driftFrom: 1500).records(3000)
        lines.insert("{\"model\": \"shop\", \"features\": nope}", at: 10)
        for (i, r) in lines.enumerated() {
            var bytes = Array(r.utf8)
            bytes.withUnsafeMutableBufferPointer {
                pipeline.ingest(UnsafeBufferPointer($0), position: SourcePosition(partition: 0, offset: Int64(i + 1)), line: Int64(i + 1))
            }
        }
        pipeline.flush(now: 0)
        output = pipeline.takeOutput()
        try store.commit(output, checkpoint: pipeline.checkpoint, source: "test")
    }
}

@Suite("HTTP API over a real store", .serialized, .offThePool)
struct APIServerTests {
    static let token = "s3cret-token-value-\(UUID().uuidString)"

    @Test("every documented endpoint answers from a real server, and every response matches the OpenAPI document")
    func endpointsMatchTheDocument() async throws {
        let filled = try FilledStore()
        let store = filled.store
        let server = try await APIServer.start(store: store, settings: APISettings(models: FilledStore.settingsModels), metrics: DriftMetrics(),
                                         address: ListenAddress(host: "127.0.0.1", port: 0))
        #expect(server.address.port != 0)
        let client = HTTPClient(server.url)

        #expect(try await client.json("/healthz")["status"]?.string == "ok")
        #expect(try await client.json("/api/v1")["endpoints"]?.array?.isEmpty == false, "the API's root lists its endpoints")
        #expect(try await client.json("/readyz")["status"]?.string == "ready")
        let document = try await client.json("/api/v1/openapi.json")
        #expect(document["openapi"]?.string == "3.1.0")
        let dashboard = try await client.get("/")
        #expect(dashboard.body.contains("<html") && dashboard.contentType.hasPrefix("text/html"))
        // Works offline: nothing is loaded from elsewhere (the only URL is SVG's namespace name).
        #expect(!dashboard.body.contains("https://"))
        #expect(dashboard.body.components(separatedBy: "http://").count - 1 == 1 && dashboard.body.contains("http://www.w3.org/2000/svg"))
        #expect(try await client.get("/metrics").body.contains("driftd_alerts{"))

        // Alerts: filters and paging agree with the store.
        let all = try await client.json("/api/v1/alerts?limit=1000")
        let stored = try store.alerts()
        #expect(!stored.isEmpty, "the drifting stream fires alerts")
        #expect(all["total"]?.number == Double(stored.count))
        #expect(all["alerts"]?.array?.count == stored.count)
        let firing = try await client.json("/api/v1/alerts?state=firing")
        #expect(firing["alerts"]?.array?.allSatisfy { $0["state"]?.string == "firing" } == true)
        #expect(firing["total"]?.number == Double(try store.alerts(state: "firing").count))
        let critical = try await client.json("/api/v1/alerts?model=shop&severity=critical")
        #expect(critical["alerts"]?.array?.allSatisfy { $0["severity"]?.string == "critical" } == true)
        let page = try await client.json("/api/v1/alerts?limit=2&offset=1")
        #expect(page["alerts"]?.array?.map { $0["id"]! } == Array(all["alerts"]!.array![1..<3].map { $0["id"]! }))
        #expect(page["total"] == all["total"], "total counts every match, not the page")
        #expect(try await client.json("/api/v1/alerts?model=other")["total"]?.number == 0)
        #expect(try await client.get("/api/v1/alerts?state=sleeping").status == 400)
        #expect(try await client.get("/api/v1/alerts?limit=0").status == 400)

        // One alert, with its transitions.
        let first = try #require(stored.first)
        let one = try await client.json("/api/v1/alerts/\(first.id)")
        #expect(one["fingerprint"]?.string == "shop/\(first.feature)/\(first.rule)")
        #expect(one["transitions"]?.array?.map { $0["kind"]?.string } == first.transitions.map(\.kind))
        #expect(one["links"]?["series"]?.string == "/api/v1/models/shop/features/\(first.feature)/series")
        #expect(try await client.get("/api/v1/alerts/999999").status == 404)
        #expect(try await client.get("/api/v1/alerts/abc").status == 400)

        // Models, windows and series.
        let reports = try store.windowReports(model: "shop")
        let models = try #require(try await client.json("/api/v1/models")["models"]?.array)
        #expect(models.count == 1)
        #expect(models[0]["id"]?.string == "shop" && models[0]["configured"]?.bool == true)
        #expect(models[0]["active_baseline"]?["version"]?.string == "v1")
        #expect(models[0]["latest_window"]?["window_index"]?.number == Double(reports.last!.windowIndex))
        #expect(models[0]["firing_alerts"]?.number == Double(try store.alerts(state: "firing").count))
        #expect(models[0]["inventory"]?["stage"]?.string == "production" && models[0]["inventory"]?["risk_tier"]?.string == "high")
        #expect(models[0]["inventory"]?["owner"]?.string == "ana" && models[0]["inventory"]?["description"]?.string == "Basket model")
        let windows = try #require(try await client.json("/api/v1/models/shop/windows?last=3")["windows"]?.array)
        #expect(windows.map { $0["window_index"]?.number } == reports.suffix(3).map { Double($0.windowIndex) })
        let amountNow = try #require(reports.last?.features.first { $0.name == "amount" }?.numeric)
        let amountFigures = try #require(windows.last?["features"]?.array?.first { $0["name"]?.string == "amount" })
        #expect(amountFigures["psi"]?.number == amountNow.psi)
        #expect(amountFigures["ks_d"]?.number == amountNow.ks?.statistic)
        #expect(amountFigures["ks_p"]?.number == amountNow.ks?.pValue)
        #expect(amountFigures["w1"]?.number == amountNow.wassersteinNormed)
        let channelFigures = try #require(windows.last?["features"]?.array?.first { $0["name"]?.string == "channel" })
        #expect(channelFigures["chi2_p"] != nil && channelFigures["ks_d"] == nil, "categorical figures only")
        #expect(try await client.get("/api/v1/models/nobody/windows").status == 404)
        #expect(try await client.get("/api/v1/models/shop/windows?last=0").status == 400)

        let series = try await client.json("/api/v1/models/shop/features/amount/series")
        #expect(series["points"]?.array?.count == reports.count)
        #expect(series["points"]?.array?.map { $0["figures"]?["psi"]?.number } == reports.map { r in r.features.first { $0.name == "amount" }?.numeric?.psi })
        let thresholds = try #require(series["thresholds"]?.array)
        #expect(thresholds.map { $0["rule"]?.string } == ["psi", "ks", "missing_values", "type_errors"])
        #expect(thresholds.first?["warn"]?.number == 0.1 && thresholds.first?["critical"]?.number == 0.2)
        // Significance is the model's decision policy, not a per-rule p-value bound.
        #expect(thresholds[1]["field"]?.string == "ks_d" && thresholds[1]["max_p_value"] == nil)
        let channel = try await client.json("/api/v1/models/shop/features/channel/series?last=2")
        #expect(channel["points"]?.array?.count == 2)
        #expect(channel["thresholds"]?.array?.map { $0["rule"]?.string } == ["psi", "category_shares", "unseen_categories", "missing_values", "type_errors"])
        #expect(try await client.get("/api/v1/models/shop/features/nothing/series").status == 404)

        #expect(try await client.json("/api/v1/silences")["silences"]?.array?.isEmpty == true)

        // Baselines and dead letters.
        let baselines = try await client.json("/api/v1/baselines")
        #expect(baselines["baselines"]?.array?.map { $0["version"]?.string } == ["v1"])
        #expect(try await client.json("/api/v1/baselines?model=nobody")["baselines"]?.array?.isEmpty == true)
        let letters = try await client.json("/api/v1/deadletters")
        #expect(letters["total"]?.number == 1)
        #expect(letters["dead_letters"]?.array?.first?["line"]?.number == 11)
        // The audit log: the baseline fitted for this store is its first entry.
        let audit = try await client.json("/api/v1/audit?action=baseline.")
        #expect(audit["entries"]?.array?.last?["action"]?.string == "baseline.fit", "\(audit)")

        await server.stop()
        let validation = try validateAgainstOpenAPI(client.exchanges, document: OpenAPIDocument.json)
        #expect(validation.status == 0, "\(validation.output)")
    }

    @Test("a response that breaks the document is caught by the validation")
    func validationCatchesAMismatch() throws {
        let bad = Exchange(method: "GET", path: "/api/v1/baselines", status: 200, contentType: "application/json",
                           body: #"{"baselines": [{"model": "m", "version": 3}]}"#, headers: [:])
        let result = try validateAgainstOpenAPI([bad], document: OpenAPIDocument.json)
        #expect(result.status == 1)
        #expect(result.output.contains("/api/v1/baselines → 200: at baselines/0"), "\(result.output)")
        #expect(result.output.contains("GET /api/v1/alerts: documented but no successful response was checked"), "\(result.output)")
    }

    @Test("every request but GET needs the bearer token; the token never shows in responses or logs")
    func stateChangingRequestsNeedTheToken() async throws {
        let filled = try FilledStore()
        let log = CapturedLog()
        let id = try #require(try filled.store.alerts().first?.id)
        let token = Self.token
        try await RouterClient.serving(filled.store, settings: APISettings(models: FilledStore.settingsModels, token: BearerToken(token)),
                                       metrics: DriftMetrics(), logger: log.logger) { client in
            let none = try await client.request("POST", "/api/v1/alerts/\(id)/ack", body: "{}")
            #expect(none.status == 401)
            #expect(none.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
            #expect(none.json?["error"]?["message"]?.string?.contains("Authorization: Bearer") == true)
            let wrong = try await client.request("POST", "/api/v1/alerts/\(id)/ack", headers: ["Authorization": "Bearer " + token.dropLast()])
            #expect(wrong.status == 401)
            let basic = try await client.request("DELETE", "/api/v1/alerts/\(id)", headers: ["Authorization": "Basic " + token])
            #expect(basic.status == 401)
            #expect(try await client.request("PUT", "/metrics").status == 401, "any method that is not a read, on any path")
            // With the token the request reaches the route (an empty body: 400, not 401).
            let right = try await client.request("POST", "/api/v1/alerts/\(id)/ack", headers: ["Authorization": "Bearer " + token])
            #expect(right.status == 400)
            let lower = try await client.request("POST", "/api/v1/alerts/\(id)/ack", headers: ["authorization": "bearer " + token])
            #expect(lower.status == 400)
            // Reads need no token.
            #expect(try await client.get("/api/v1/alerts").status == 200)
            for x in client.exchanges { #expect(!x.body.contains(token) && !x.body.contains(token.dropLast())) }
        }
        #expect(log.text.contains("refused an unauthenticated request"), "refusals are logged: \(log.text)")
        #expect(!log.text.contains(Self.token.dropLast()), "the token never reaches the log")
        #expect("\(BearerToken(Self.token)!)" == "<redacted>")
        #expect(String(reflecting: BearerToken(Self.token)!) == "<redacted>")
    }

    @Test("without a configured token every state-changing request is refused, whatever it carries")
    func noTokenFailsClosed() async throws {
        let filled = try FilledStore()
        try await RouterClient.serving(filled.store, settings: APISettings()) { client in
            let x = try await client.request("POST", "/api/v1/alerts/1/ack", headers: ["Authorization": "Bearer anything"])
            #expect(x.status == 401)
            #expect(x.json?["error"]?["message"]?.string?.contains("token_env") == true)
            #expect(try await client.get("/metrics").status == 404, "no metrics when the process collects none")
        }
        #expect(BearerToken("") == nil, "an empty token would let anyone in")
    }

    @Test("a taken port is an error that names the address; a stopped server frees it")
    func portInUse() async throws {
        let filled = try FilledStore()
        let first = try await APIServer.start(store: filled.store, settings: APISettings(), metrics: nil, address: ListenAddress(host: "127.0.0.1", port: 0))
        await #expect(throws: APIServer.StartError.self) {
            _ = try await APIServer.start(store: filled.store, settings: APISettings(), metrics: nil, address: first.address)
        }
        let address = first.address
        await first.stop()
        let again = try await APIServer.start(store: filled.store, settings: APISettings(), metrics: nil, address: address)
        #expect(again.address == address)
        await again.stop()
    }

    @Test("readiness reports the host's reason with 503")
    func readiness() async throws {
        let filled = try FilledStore()
        try await RouterClient.serving(filled.store, settings: APISettings(readiness: { "joining the consumer group" })) { client in
            let x = try await client.get("/readyz")
            #expect(x.status == 503)
            #expect(x.json?["reason"]?.string == "joining the consumer group")
            #expect(try await client.get("/healthz").status == 200)
        }
    }

    @Test("a store error answers with the status of its kind and the store's own words")
    func storeErrorsByKind() async throws {
        let filled = try FilledStore()
        let id = try #require(try filled.store.alerts(state: "firing").first?.id)
        try filled.store.resolve(alertID: id, by: "ana")
        let token = Self.token
        try await RouterClient.serving(filled.store, settings: APISettings(token: BearerToken(token))) { client in
            let auth = ["Authorization": "Bearer " + token, "Content-Type": "application/json"]
            // Resolved already: the store refuses with .conflict, the API answers 409 in its error shape.
            let again = try await client.request("POST", "/api/v1/alerts/\(id)/resolve", headers: auth, body: #"{"by": "ana"}"#)
            #expect(again.status == 409)
            #expect(again.json?["error"]?["message"]?.string?.contains("already resolved") == true, "\(again.body)")
            // Not firing: an ack is refused the same way.
            let ack = try await client.request("POST", "/api/v1/alerts/\(id)/ack", headers: auth, body: #"{"by": "ana"}"#)
            #expect(ack.status == 409)
            #expect(ack.json?["error"]?["message"]?.string?.contains("only a firing alert can be acknowledged") == true, "\(ack.body)")
        }
    }

    @Test("listen addresses parse with their defaults and say what is wrong")
    func listenAddresses() throws {
        #expect(try ListenAddress.parse("127.0.0.1:8080").get() == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(try ListenAddress.parse("[::1]:9000").get() == ListenAddress(host: "::1", port: 9000))
        #expect(try ListenAddress.parse(":9000").get() == ListenAddress(host: "127.0.0.1", port: 9000), "no host: loopback")
        #expect(ListenAddress(host: "::1", port: 9000).description == "[::1]:9000")
        for bad in ["8080", "localhost:http", "host:70000", "a b:1"] {
            #expect(throws: ListenAddress.AddressError.self) { try ListenAddress.parse(bad).get() }
        }
    }
}
