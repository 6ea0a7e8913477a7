import DriftTestTraits
import DriftTesting
import Foundation
import Testing

/// `driftd baseline fit --all-models`: many models fitted from one reference file in one
/// reading and one transaction, each exactly as if fitted alone.
@Suite("driftd baseline fit --all-models", .offThePool)
struct BaselineFitAllTests {
    static let configuration = """
        store: store.sqlite
        models:
          - id: shop-a
            window: { count: 500 }
          - id: shop-b
            window: { count: 500 }
          - id: shop-c
            window: { count: 500 }
        """

    /// shop-a and shop-b interleaved (shop-b with `model` after its features), records of a
    /// model the configuration does not know, and a malformed line 4.
    static func reference() -> (mixed: String, a: String, b: String) {
        let a = SyntheticStream(model: "shop-a", seed: 3).records(1200)
        let b = SyntheticStream(model: "shop-b", seed: 4).records(900).map { r in
            // {"model":"shop-b",REST} → {REST,"model":"shop-b"}: the model may come last.
            "{" + r.dropFirst("{\"model\":\"shop-b\",".count).dropLast() + ",\"model\":\"shop-b\"}"
        }
        let other = SyntheticStream(model: "elsewhere", seed: 5).records(300)
        var lines: [String] = []
        for i in 0..<1200 {
            if lines.count == 3 { lines.append("{\"model\":\"shop-a\",\"features\":") }
            lines.append(a[i])
            if i < b.count { lines.append(b[i]) }
            if i < other.count { lines.append(other[i]) }
        }
        return (lines.joined(separator: "\n") + "\n", a.joined(separator: "\n") + "\n", b.joined(separator: "\n") + "\n")
    }

    func workspace() throws -> (dir: TemporaryDirectory, config: String) {
        let dir = try TemporaryDirectory()
        return (dir, try dir.write("driftd.yaml", Self.configuration))
    }

    /// `baseline show` without its first line (which names the version).
    func shown(_ config: String, _ model: String) throws -> String {
        let run = try DriftdProcess.run(["baseline", "show", "--config", config, model])
        #expect(run.status == 0, "\(run.standardError)")
        return run.standardOutput.split(separator: "\n").dropFirst().joined(separator: "\n")
    }

    @Test("every configured model in the file is fitted, as if alone; absent, unknown and malformed are reported")
    func fitsEveryModel() throws {
        let (dir, config) = try workspace()
        let (mixed, a, b) = Self.reference()
        let file = try dir.write("reference.jsonl", mixed)
        let fit = try DriftdProcess.run(["baseline", "fit", "--config", config, "--all-models", "--from", file, "--version", "v1"])
        #expect(fit.status == 0, "\(fit.standardError)")
        #expect(fit.standardOutput.contains("baseline shop-a v1: 1200 records"), "\(fit.standardOutput)")
        #expect(fit.standardOutput.contains("baseline shop-b v1: 900 records"), "\(fit.standardOutput)")
        #expect(fit.standardOutput.contains("2 baselines fitted"))
        #expect(fit.standardError.contains("\(file):4: skipped"), "\(fit.standardError)")
        #expect(fit.standardError.contains("1 configured model(s): shop-c"), "\(fit.standardError)")
        #expect(fit.standardError.contains("elsewhere"), "\(fit.standardError)")

        // The same baselines as fitting each model alone from a file of its own records.
        let (alone, aloneConfig) = try workspace()
        for (model, text) in [("shop-a", a), ("shop-b", b)] {
            let own = try alone.write("\(model).jsonl", text)
            let single = try DriftdProcess.run(["baseline", "fit", "--config", aloneConfig, "--model", model, "--from", own, "--version", "v1"])
            #expect(single.status == 0, "\(single.standardError)")
            #expect(try shown(config, model) == shown(aloneConfig, model), "\(model)")
        }
    }

    @Test("--model patterns select models; a clash stores nothing; a bad pattern or no selection says what to do")
    func patternsAndOneTransaction() throws {
        let (dir, config) = try workspace()
        let file = try dir.write("reference.jsonl", Self.reference().mixed)
        let onlyB = try DriftdProcess.run(["baseline", "fit", "--config", config, "--all-models", "--model=-b$", "--from", file, "--version", "v1"])
        #expect(onlyB.status == 0, "\(onlyB.standardError)")
        #expect(onlyB.standardOutput.contains("1 baselines fitted"), "\(onlyB.standardOutput)")
        // shop-b's v1 exists: fitting both as v1 fails as a whole, shop-a gets nothing.
        let clash = try DriftdProcess.run(["baseline", "fit", "--config", config, "--all-models", "--from", file, "--version", "v1"])
        #expect(clash.status != 0)
        #expect(clash.standardError.contains("exists already"), "\(clash.standardError)")
        let list = try DriftdProcess.run(["baseline", "list", "--config", config])
        #expect(!list.standardOutput.contains("shop-a"), "\(list.standardOutput)")
        let bad = try DriftdProcess.run(["baseline", "fit", "--config", config, "--all-models", "--model", "^(bad", "--from", file])
        #expect(bad.status != 0 && bad.standardError.contains("not a valid regular expression"), "\(bad.standardError)")
        let none = try DriftdProcess.run(["baseline", "fit", "--config", config, "--all-models", "--model", "^fraud-", "--from", file])
        #expect(none.status != 0 && none.standardError.contains("no model of"), "\(none.standardError)")
        let neither = try DriftdProcess.run(["baseline", "fit", "--config", config, "--from", file])
        #expect(neither.status != 0 && neither.standardError.contains("--all-models"), "\(neither.standardError)")
    }
}
