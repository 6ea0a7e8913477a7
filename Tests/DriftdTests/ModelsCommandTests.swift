import DriftCore
import DriftStore
import DriftTestTraits
import DriftTesting
import Foundation
import Testing

/// `driftd models`: the inventory an auditor asks for, from the configuration and the store.
@Suite("driftd models", .offThePool)
struct ModelsCommandTests {
    @Test("lists every model with stage, risk tier, owner, team, active baseline and firing alerts; one model in full; JSON")
    func inventory() throws {
        let dir = try TemporaryDirectory()
        let config = try dir.write("driftd.yaml", """
            store: s.sqlite
            models:
              - id: shop
                owner: ana@example.com
                team: checkout
                stage: production
                risk_tier: high
                description: Basket value model.
                window: { count: 500 }
              - id: churn
                stage: staging
            """)
        // Before any store: the configuration alone.
        let early = try DriftdProcess.run(["models", "--config", config])
        #expect(early.status == 0, "\(early.standardError)")
        #expect(early.standardOutput.contains("churn") && early.standardOutput.contains("staging"))

        // shop was monitored first (a configuration of its own on the same store); churn is
        // new in the configuration and has no baseline yet.
        let shopOnly = try dir.write("shop.yaml", "store: s.sqlite\nmodels:\n  - id: shop\n    window: { count: 500 }\n")
        let reference = try dir.write("reference.jsonl", SyntheticStream(seed: 3).text(2000))
        #expect(try DriftdProcess.run(["baseline", "fit", "--config", shopOnly, "--model", "shop", "--from", reference, "--version", "v1"]).status == 0)
        let stream = try dir.write("stream.jsonl", SyntheticStream(seed: 5, driftFrom: 500).text(2000))
        let replay = try DriftdProcess.run(["replay", "--config", shopOnly, stream, "--quiet"])
        #expect(replay.status == 0, "\(replay.standardError)")
        let store = try AlertStore(path: dir.url.appendingPathComponent("s.sqlite").path)
        let firing = try store.alerts(state: "firing").filter { $0.model == "shop" }.count
        #expect(firing > 0, "the drifting stream fires")

        let table = try DriftdProcess.run(["models", "--config", config])
        #expect(table.status == 0, "\(table.standardError)")
        let shopRow = try #require(table.standardOutput.split(separator: "\n").first { $0.hasPrefix("shop") })
        for part in ["production", "high", "ana@example.com", "checkout", "v1", String(firing)] {
            #expect(shopRow.contains(part), "\(part) in: \(shopRow)")
        }

        let one = try DriftdProcess.run(["models", "shop", "--config", config])
        #expect(one.standardOutput.contains("Basket value model."))
        #expect(one.standardOutput.contains("active baseline v1"))

        let json = try #require(try JSONValue.parse(try DriftdProcess.run(["models", "--config", config, "--format", "json"]).standardOutput).array)
        #expect(json.map { $0["id"]?.string } == ["shop", "churn"])
        #expect(json[0]["risk_tier"]?.string == "high" && json[0]["active_baseline"]?.string == "v1")
        #expect(json[0]["firing_alerts"]?.number == Double(firing))
        #expect(json[1]["stage"]?.string == "staging" && json[1]["active_baseline"] == nil)

        let unknown = try DriftdProcess.run(["models", "nope", "--config", config])
        #expect(unknown.status != 0)
        #expect(unknown.standardError.contains("no model 'nope'") && unknown.standardError.contains("driftd models"))
    }
}
