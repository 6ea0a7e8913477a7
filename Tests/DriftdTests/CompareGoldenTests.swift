import DriftTestTraits
import DriftTesting
import Foundation
import Testing

/// Every public golden case reproduced through `driftd compare`, run as a user runs it.
@Suite("driftd compare reproduces the goldens end to end", .offThePool)
struct CompareGoldenTests {
    struct Output {
        let root: JSONValue
        var feature: JSONValue { root["features"]!.array![0] }
    }

    static func compare(_ golden: GoldenCase, _ extra: [String] = []) throws -> (DriftdRun, Output) {
        let dir = try TemporaryDirectory()
        let (ref, cur): (String, String)
        if golden.isNumeric {
            ref = try dir.write("ref.jsonl", RecordFile.numeric(golden.referenceNumbers))
            cur = try dir.write("cur.jsonl", RecordFile.numeric(golden.currentNumbers))
        } else {
            ref = try dir.write("ref.jsonl", RecordFile.categorical(golden.referenceCategories))
            cur = try dir.write("cur.jsonl", RecordFile.categorical(golden.currentCategories))
        }
        // The goldens include tiny samples (scipy judges 8 values): no minimum here.
        let run = try DriftdProcess.run(["compare", "--reference", ref, "--current", cur, "--format", "json", "--min-samples", "1"] + extra)
        let root = try JSONValue.parse(run.standardOutput)
        return (run, Output(root: root))
    }

    @Test("numeric: KS (auto and asymp), decile PSI and normalised Wasserstein", arguments: Fixtures.numericGoldens)
    func numeric(_ golden: GoldenCase) throws {
        let (run, out) = try Self.compare(golden)
        #expect(run.status == (out.root["drift"]!.bool! ? 1 : 0), "exit status follows the verdict")
        let f = out.feature
        #expect(f["type"]?.string == "numeric")
        #expect(f["n_reference"]?.number == Double(golden.referenceNumbers.count))
        let ks = try #require(f["ks"])
        #expect(Swift.abs(ks["statistic"]!.number! - golden.value("ks_auto", "statistic")!) <= 1e-12)
        #expect(isClose(ks["p_value"]!.number!, golden.value("ks_auto", "pvalue")!, relative: 1e-6))
        let expectedMethod = Swift.max(golden.referenceNumbers.count, golden.currentNumbers.count) <= 10_000 ? "exact" : "asymp"
        #expect(ks["method"]?.string == expectedMethod)
        #expect(Swift.abs(f["psi"]!.number! - golden.value("psi_decile_eps1e-4", "value")!) <= 1e-9)
        #expect(Swift.abs(f["wasserstein_normed"]!.number! - golden.value("evidently_wasserstein_norm", "value")!) <= 1e-9)
        #expect(f["chi_square"] == .null)

        let (_, asymp) = try Self.compare(golden, ["--ks-method", "asymp"])
        #expect(Swift.abs(asymp.feature["ks"]!["statistic"]!.number! - golden.value("ks_asymp", "statistic")!) <= 1e-12)
        #expect(isClose(asymp.feature["ks"]!["p_value"]!.number!, golden.value("ks_asymp", "pvalue")!, relative: 1e-6))
        #expect(asymp.feature["ks"]!["method"]?.string == "asymp")

        let (_, evidently) = try Self.compare(golden, ["--binning", "evidently"])
        #expect(Swift.abs(evidently.feature["psi"]!.number! - golden.value("evidently_psi", "value")!) <= 1e-9)
        #expect(Swift.abs(evidently.feature["jensen_shannon"]!.number! - golden.value("evidently_jensenshannon", "value")!) <= 1e-9)
    }

    @Test("categorical: PSI, Jensen-Shannon and chi-square; unseen categories give p = 0", arguments: Fixtures.categoricalGoldens)
    func categorical(_ golden: GoldenCase) throws {
        let (run, out) = try Self.compare(golden)
        #expect(run.status == (out.root["drift"]!.bool! ? 1 : 0))
        let f = out.feature
        #expect(f["type"]?.string == "categorical")
        #expect(f["ks"] == .null)
        #expect(f["wasserstein_normed"] == .null)
        #expect(Swift.abs(f["psi"]!.number! - golden.value("psi_decile_eps1e-4", "value")!) <= 1e-9)
        let chi = try #require(f["chi_square"])
        let p = try #require(chi["p_value"]?.number, "chi-square p-value is a number, never NaN")
        #expect(isClose(p, golden.value("evidently_chisquare", "value")!, relative: 1e-6))
        let unseen = Set(golden.currentCategories).subtracting(golden.referenceCategories)
        #expect(f["unseen_rate"]?.number == Double(golden.currentCategories.filter(unseen.contains).count) / Double(golden.currentCategories.count))
        if !unseen.isEmpty { #expect(p == 0) }

        let (_, evidently) = try Self.compare(golden, ["--binning", "evidently"])
        #expect(Swift.abs(evidently.feature["psi"]!.number! - golden.value("evidently_psi", "value")!) <= 1e-9)
        #expect(Swift.abs(evidently.feature["jensen_shannon"]!.number! - golden.value("evidently_jensenshannon", "value")!) <= 1e-9)
    }
}
