import DriftStats
import DriftTesting
import Testing

/// The statistics core against scipy, numpy and Evidently (`Tests/DriftStatsTests/Fixtures`).
@Suite("Statistics reproduce the reference implementations")
struct GoldenStatisticsTests {
    @Test("KS statistic and p-value match scipy.stats.ks_2samp", arguments: Fixtures.numericGoldens)
    func kolmogorovSmirnov(_ golden: GoldenCase) throws {
        let a = RadixSort.sortedFiniteValues(golden.referenceNumbers)
        let b = RadixSort.sortedFiniteValues(golden.currentNumbers)
        for (name, method) in [("ks_auto", KSMethod.auto), ("ks_asymp", .asymp)] {
            let ks = try #require(KolmogorovSmirnov.twoSample(sortedReference: a, sortedCurrent: b, method: method))
            let statistic = try #require(golden.value(name, "statistic"))
            let p = try #require(golden.value(name, "pvalue"))
            #expect(Swift.abs(ks.statistic - statistic) <= 1e-12, "\(name) D")
            #expect(isClose(ks.pValue, p, relative: 1e-6), "\(name) p: \(ks.pValue) vs \(p)")
        }
    }

    @Test("quantile edges and PSI match numpy deciles with a 1e-4 floor", arguments: Fixtures.numericGoldens)
    func decilePSI(_ golden: GoldenCase) throws {
        let a = RadixSort.sortedFiniteValues(golden.referenceNumbers)
        let binning = NumericBinning.quantile(sortedReference: a, bins: 10)
        #expect(binning.edges == golden.expectedEdges, "edges")
        var ref = HistogramAccumulator.zero(binCount: binning.binCount)
        var cur = HistogramAccumulator.zero(binCount: binning.binCount)
        ref.add(golden.referenceNumbers, edges: binning.edges)
        cur.add(golden.currentNumbers, edges: binning.edges)
        let psi = PopulationStabilityIndex.value(referenceCounts: ref.counts, currentCounts: cur.counts)
        let expected = try #require(golden.value("psi_decile_eps1e-4", "value"))
        #expect(Swift.abs(psi - expected) <= 1e-9, "PSI \(psi) vs \(expected)")
        #expect(Double(binning.binCount) == golden.value("psi_decile_eps1e-4", "n_bins"))
    }

    @Test("Evidently's PSI, Jensen-Shannon and normalised Wasserstein", arguments: Fixtures.numericGoldens)
    func evidentlyNumeric(_ golden: GoldenCase) throws {
        let a = RadixSort.sortedFiniteValues(golden.referenceNumbers)
        let b = RadixSort.sortedFiniteValues(golden.currentNumbers)
        let (p, q) = EvidentlyBinning.numericProportions(sortedReference: a, sortedCurrent: b)
        let psi = EvidentlyBinning.psi(reference: p, current: q)
        let js = JensenShannon.distance(p, q)
        var moments = Moments.zero
        a.withUnsafeBufferPointer { moments.add($0) }
        let w = Wasserstein.normalised(Wasserstein.distance(sortedReference: a, sortedCurrent: b),
                                       referenceStandardDeviation: moments.populationStandardDeviation)
        #expect(Swift.abs(psi - (try #require(golden.value("evidently_psi", "value")))) <= 1e-9, "PSI")
        #expect(Swift.abs(js - (try #require(golden.value("evidently_jensenshannon", "value")))) <= 1e-9, "JS")
        #expect(Swift.abs(w - (try #require(golden.value("evidently_wasserstein_norm", "value")))) <= 1e-9, "W1")
    }

    @Test("categorical PSI, Jensen-Shannon and chi-square match Evidently", arguments: Fixtures.categoricalGoldens)
    func categorical(_ golden: GoldenCase) throws {
        let keys = Array(Set(golden.referenceCategories).union(golden.currentCategories)).sorted()
        func counts(_ values: [String]) -> [UInt64] {
            var c = [UInt64](repeating: 0, count: keys.count)
            for v in values { c[keys.firstIndex(of: v)!] += 1 }
            return c
        }
        let r = counts(golden.referenceCategories), c = counts(golden.currentCategories)
        let psi = PopulationStabilityIndex.value(referenceCounts: r, currentCounts: c)
        #expect(Swift.abs(psi - (try #require(golden.value("psi_decile_eps1e-4", "value")))) <= 1e-9)
        let p = PopulationStabilityIndex.proportions(r), q = PopulationStabilityIndex.proportions(c)
        #expect(Swift.abs(EvidentlyBinning.psi(reference: p, current: q) - (try #require(golden.value("evidently_psi", "value")))) <= 1e-9)
        #expect(Swift.abs(JensenShannon.distance(p, q) - (try #require(golden.value("evidently_jensenshannon", "value")))) <= 1e-9)
        let chi = try #require(ChiSquareTest.goodnessOfFit(referenceCounts: r, currentCounts: c))
        let expected = try #require(golden.value("evidently_chisquare", "value"))
        #expect(!chi.pValue.isNaN)
        #expect(isClose(chi.pValue, expected, relative: 1e-6), "chi-square p \(chi.pValue) vs \(expected)")
    }
}

@Suite("Laws every statistic obeys")
struct StatisticLawTests {
    @Test("PSI of a sample against itself is 0, and KS is symmetric", arguments: Fixtures.numericGoldens)
    func identities(_ golden: GoldenCase) throws {
        let a = RadixSort.sortedFiniteValues(golden.referenceNumbers)
        let b = RadixSort.sortedFiniteValues(golden.currentNumbers)
        let binning = NumericBinning.quantile(sortedReference: a)
        var h = HistogramAccumulator.zero(binCount: binning.binCount)
        h.add(golden.referenceNumbers, edges: binning.edges)
        #expect(PopulationStabilityIndex.value(referenceCounts: h.counts, currentCounts: h.counts) == 0)
        let ab = try #require(KolmogorovSmirnov.twoSample(sortedReference: a, sortedCurrent: b))
        let ba = try #require(KolmogorovSmirnov.twoSample(sortedReference: b, sortedCurrent: a))
        #expect(ab.statistic == ba.statistic)
        #expect(ab.pValue == ba.pValue)
    }

    @Test("a new category gives chi-square p = 0 and an infinite statistic, never NaN")
    func unseenCategory() throws {
        let chi = try #require(ChiSquareTest.goodnessOfFit(referenceCounts: [10, 5, 0], currentCounts: [8, 6, 3]))
        #expect(chi.pValue == 0)
        #expect(chi.statistic == .infinity)
        #expect(chi.unseenCategories == 1)
        let single = try #require(ChiSquareTest.goodnessOfFit(referenceCounts: [4], currentCounts: [9]))
        #expect(single.pValue == 1)
    }
}
