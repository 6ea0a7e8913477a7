import DriftStats
import DriftTesting
import Foundation
import Testing

/// The p-value functions against scipy 1.17.1 on cases written by
/// `scripts/make-distribution-fixtures.py` (each names the branch scipy takes).
@Suite("Distribution functions reproduce scipy")
struct DistributionTests {
    static let cases: [JSONValue] = {
        let url = Bundle.module.url(forResource: "scipy-distributions", withExtension: "jsonl", subdirectory: "Fixtures")!
        let text = try! String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").map { try! JSONValue.parse(String($0)) }
    }()

    static func of(_ function: String) -> [JSONValue] { cases.filter { $0["function"]?.string == function } }

    @Test("kstwo.sf: one-sample two-sided KS survival, every branch")
    func kolmogorovOneSample() {
        let cases = Self.of("kstwo_sf")
        #expect(cases.count > 100)
        for c in cases {
            let got = KolmogorovSmirnovDistribution.oneSampleTwoSidedSurvival(c["d"]!.number!, n: Int(c["n"]!.number!))
            let expected = c["expected"]!.number!
            #expect(isClose(got, expected, relative: 1e-9, absolute: expected < 1e-300 ? 1e-300 : 0),
                    "n=\(c["n"]!.number!) d=\(c["d"]!.number!) branch=\(c["branch"]?.string ?? "")")
        }
    }

    @Test("ks_2samp exact lattice-path probability, including where scipy gives up")
    func kolmogorovTwoSampleExact() {
        let cases = Self.of("ks_2samp_exact")
        #expect(cases.count > 100)
        for c in cases {
            let n1 = Int(c["n1"]!.number!), n2 = Int(c["n2"]!.number!), h = Int(c["h"]!.number!)
            let got = KolmogorovSmirnovDistribution.twoSampleExactSurvival(h: h, n1: n1, n2: n2)
            if c["fallback"]?.bool == true {
                #expect(got == nil, "n1=\(n1) n2=\(n2) h=\(h) falls back to asymp as in scipy")
            } else {
                let expected = c["expected"]!.number!
                #expect(got.map { isClose($0, expected, relative: 1e-10, absolute: 1e-300) } == true, "n1=\(n1) n2=\(n2) h=\(h)")
            }
        }
    }

    @Test("chi2.sf down to the deep tail and for thousands of degrees of freedom")
    func chiSquare() {
        let cases = Self.of("chi2_sf")
        #expect(cases.count > 100)
        for c in cases {
            let got = ChiSquareDistribution.survival(c["x"]!.number!, degreesOfFreedom: c["k"]!.number!)
            let expected = c["expected"]!.number!
            #expect(isClose(got, expected, relative: 1e-9, absolute: expected < 1e-300 ? 1e-300 : 0),
                    "k=\(c["k"]!.number!) x=\(c["x"]!.number!)")
        }
        #expect(ChiSquareDistribution.survival(.infinity, degreesOfFreedom: 3) == 0)
        #expect(ChiSquareDistribution.survival(0, degreesOfFreedom: 3) == 1)
    }
}
