import DriftTestTraits
import DriftTesting
import Foundation
import Testing

/// How `driftd compare` behaves for its users: exit codes, bad input, formats and overrides.
@Suite("driftd compare as a user meets it", .offThePool)
struct CompareCommandTests {
    static func normal(_ n: Int, shift: Double, seed: UInt64) -> [Double] {
        var g = SeededGenerator(seed: seed)
        return (0..<n).map { _ in ((g.normal() + shift) * 1e4).rounded() / 1e4 }
    }

    @Test("no drift exits 0, a large shift exits 1 and names the feature")
    func exitStatus() throws {
        let dir = try TemporaryDirectory()
        let ref = try dir.write("ref.jsonl", RecordFile.numeric(Self.normal(3000, shift: 0, seed: 1), feature: "income"))
        let same = try dir.write("same.jsonl", RecordFile.numeric(Self.normal(3000, shift: 0, seed: 2), feature: "income"))
        let moved = try dir.write("moved.jsonl", RecordFile.numeric(Self.normal(3000, shift: 1, seed: 3), feature: "income"))
        let quiet = try DriftdProcess.run(["compare", "--reference", ref, "--current", same])
        #expect(quiet.status == 0)
        #expect(quiet.standardOutput.contains("No drift in 1 features"))
        let loud = try DriftdProcess.run(["compare", "--reference", ref, "--current", moved])
        #expect(loud.status == 1)
        #expect(loud.standardOutput.contains("DRIFT"))
        #expect(loud.standardOutput.contains("Drift in 1 of 1 features: income"))
    }

    @Test("a malformed line is reported with file and line, skipped, and the rest is used")
    func malformedLine() throws {
        let dir = try TemporaryDirectory()
        var lines = RecordFile.numeric(Self.normal(200, shift: 0, seed: 4)).split(separator: "\n").map(String.init)
        lines.insert("{\"model\":\"m\",\"features\":{\"x\":NaN}}", at: 10)
        lines.insert("not json at all", at: 20)
        lines.insert("{\"features\":{\"x\":1}}", at: 30)
        let ref = try dir.write("ref.jsonl", lines.joined(separator: "\n") + "\n")
        let run = try DriftdProcess.run(["compare", "--reference", ref, "--current", ref, "--format", "json"])
        #expect(run.status == 0)
        #expect(run.standardError.contains("ref.jsonl:11: skipped: NaN and Infinity are not JSON numbers"))
        #expect(run.standardError.contains("ref.jsonl:21: skipped: the record is not a JSON object"))
        #expect(run.standardError.contains("ref.jsonl:31: skipped: `model` is missing"))
        let out = try JSONValue.parse(run.standardOutput)
        #expect(out["features"]!.array![0]["n_reference"]?.number == 200)
    }

    @Test("bad usage and unreadable input exit 2 with a message that says what to do")
    func badUsage() throws {
        let dir = try TemporaryDirectory()
        let ref = try dir.write("ref.jsonl", RecordFile.numeric([1, 2, 3]))
        let missing = try DriftdProcess.run(["compare", "--reference", ref, "--current", dir.url.path + "/nope.jsonl"])
        #expect(missing.status == 2)
        #expect(missing.standardError.contains("cannot open"))
        #expect(missing.standardError.contains("nope.jsonl"))
        let bins = try DriftdProcess.run(["compare", "--reference", ref, "--current", ref, "--bins", "1"])
        #expect(bins.status == 2)
        #expect(bins.standardError.contains("--bins must be between 2 and 64"))
        let unknown = try DriftdProcess.run(["compare", "--reference", ref, "--current", ref, "--numeric", "nothere"])
        #expect(unknown.status == 2)
        #expect(unknown.standardError.contains("feature 'nothere' is not in"))
        let empty = try dir.write("empty.jsonl", "garbage\n")
        let noRecords = try DriftdProcess.run(["compare", "--reference", empty, "--current", ref])
        #expect(noRecords.status == 2)
        #expect(noRecords.standardError.contains("holds no usable records"))
    }

    @Test("CSV input, kinds inferred from the reference and overridable")
    func csvAndOverrides() throws {
        let dir = try TemporaryDirectory()
        var ref = "id,age,country,zip\n", cur = "id,age,country,zip\n"
        for i in 0..<400 {
            ref += "\(i),\(20 + i % 40),\(["DE", "FR", "IT"][i % 3]),\(10_000 + i % 7)\n"
            cur += "\(i),\(20 + i % 40),\"\(["DE", "FR", "ES"][i % 3])\",\(10_000 + i % 7)\n"
        }
        let r = try dir.write("ref.csv", ref), c = try dir.write("cur.csv", cur)
        let run = try DriftdProcess.run(["compare", "--reference", r, "--current", c, "--format", "json", "--categorical", "zip"])
        let features = try JSONValue.parse(run.standardOutput)["features"]!.array!
        let byName = Dictionary(uniqueKeysWithValues: features.map { ($0["name"]!.string!, $0) })
        #expect(byName["id"] == nil, "metadata columns are not features")
        #expect(byName["age"]?["type"]?.string == "numeric")
        #expect(byName["age"]?["drift"]?.bool == false)
        #expect(byName["zip"]?["type"]?.string == "categorical")
        #expect(byName["zip"]?["chi_square"]?["p_value"]?.number == 1)
        let country = try #require(byName["country"])
        #expect(country["type"]?.string == "categorical")
        #expect(country["drift"]?.bool == true, "a category the reference never had is drift")
        #expect(isClose(country["unseen_rate"]!.number!, 133.0 / 400.0, relative: 1e-12))
        #expect(country["chi_square"]?["p_value"]?.number == 0)
        #expect(run.status == 1)
    }

    @Test("type errors and missing values are rates, not rejections")
    func qualityRates() throws {
        let dir = try TemporaryDirectory()
        let ref = try dir.write("ref.jsonl", RecordFile.numeric((0..<100).map(Double.init)))
        var cur = ""
        for i in 0..<100 {
            let value = i % 10 == 0 ? "\"oops\"" : (i % 10 == 1 ? "null" : String(i))
            cur += "{\"model\":\"m\",\"features\":{\"x\":\(value)}}\n"
        }
        let c = try dir.write("cur.jsonl", cur)
        let run = try DriftdProcess.run(["compare", "--reference", ref, "--current", c, "--format", "json"])
        let f = try JSONValue.parse(run.standardOutput)["features"]!.array![0]
        #expect(f["n_current"]?.number == 80)
        #expect(f["missing_rate"]?.number == 0.1)
        #expect(f["type_error_rate"]?.number == 0.1)
        #expect(run.standardError.isEmpty)
    }
}
