import DriftStats
import DriftTesting
import Testing

/// The tests behind driftd's decisions against scipy 1.17.1. Every expected value below was
/// printed by the scipy call named beside it (`repr(float(...))`, so all 17 digits), and is
/// kept here as a literal: the suite needs no Python to run.
@Suite("Significance tests reproduce scipy")
struct SignificanceTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var arguments: [Double]
        var expected: Double
        var testDescription: String { "\(arguments) → \(expected)" }
        init(_ arguments: Double..., expected: Double) { self.arguments = arguments; self.expected = expected }
    }

    /// scipy.stats.norm.sf(z)
    static let normal: [Case] = [
        Case(-3, expected: 0.9986501019683699),
        Case(0, expected: 0.5),
        Case(1.5, expected: 0.06680720126885807),
        Case(5, expected: 2.866515718791933e-07),
        Case(10, expected: 7.61985302416047e-24),
        Case(37, expected: 5.7255712225239266e-300),
    ]

    @Test("the normal survival function, into the deep tail", arguments: normal)
    func normalSurvival(_ c: Case) {
        #expect(isClose(NormalDistribution.survival(c.arguments[0]), c.expected, relative: 1e-9))
    }

    /// scipy.special.betainc(a, b, x), arguments (a, b, x)
    static let beta: [Case] = [
        Case(0.5, 0.5, 0.3, expected: 0.36901011956554536),
        Case(2, 3, 0.4, expected: 0.5247999999999999),
        Case(10, 20, 0.2, expected: 0.049263517304212585),
        Case(200, 300, 0.45, expected: 0.9881463456202628),
        Case(1500.5, 0.5, 0.999, expected: 0.08316172978415666),
        Case(0.5, 1500.5, 0.001, expected: 0.9168382702158433),
        Case(50_000, 50_000, 0.502, expected: 0.8970487347555707),
        Case(3, 1, 0.9, expected: 0.7290000000000001),
    ]

    @Test("the regularized incomplete beta function on both sides of its switch point", arguments: beta)
    func incompleteBeta(_ c: Case) {
        let (a, b, x) = (c.arguments[0], c.arguments[1], c.arguments[2])
        #expect(isClose(IncompleteBeta.regularized(x, a: a, b: b), c.expected, relative: 1e-9))
    }

    /// scipy.stats.binom.sf(k - 1, n, p) = P(X ≥ k), arguments (k, n, p)
    static let binomial: [Case] = [
        Case(1, 10, 0.1, expected: 0.6513215599000001),
        Case(5, 10, 0.3, expected: 0.15026833259999992),
        Case(30, 100, 0.2, expected: 0.011248978720991648),
        Case(17, 40, 0.25, expected: 0.011561361200986726),
        Case(3, 20_000, 0.0001, expected: 0.3233235835913552),
        Case(120, 200_000, 0.0005, expected: 0.02819869789851942),
        Case(1010, 2000, 0.5, expected: 0.33547724277782703),
        Case(60, 60, 0.9, expected: 0.0017970102999144337),
    ]

    @Test("the binomial upper tail P(X ≥ k), exact for rare and common events", arguments: binomial)
    func binomialUpperTail(_ c: Case) {
        let p = BinomialDistribution.upperTail(atLeast: Int(c.arguments[0]), trials: Int(c.arguments[1]), probability: c.arguments[2])
        #expect(isClose(p, c.expected, relative: 1e-9))
    }

    @Test("the binomial tail's edges: nothing to see, impossible, certain")
    func binomialEdges() {
        #expect(BinomialDistribution.upperTail(atLeast: 0, trials: 10, probability: 0.3) == 1)
        #expect(BinomialDistribution.upperTail(atLeast: 11, trials: 10, probability: 0.3) == 0)
        #expect(BinomialDistribution.upperTail(atLeast: 1, trials: 10, probability: 0) == 0)
        #expect(BinomialDistribution.upperTail(atLeast: 10, trials: 10, probability: 1) == 1)
    }

    /// scipy.stats.poisson.cdf(k, mu), arguments (k, mu)
    static let poisson: [Case] = [
        Case(0, 0.5, expected: 0.6065306597126334),
        Case(3, 10, expected: 0.010336050675925726),
        Case(50, 80, expected: 0.0002154805664879084),
        Case(999, 1000, expected: 0.4957947558197845),
        Case(9000, 10_000, expected: 1.3896350906594438e-24),
        Case(12, 3.5, expected: 0.9999240417602283),
    ]

    @Test("the Poisson lower tail P(X ≤ k), where a volume drop is judged", arguments: poisson)
    func poissonLowerTail(_ c: Case) {
        #expect(isClose(PoissonDistribution.lowerTail(atMost: Int(c.arguments[0]), mean: c.arguments[1]), c.expected, relative: 1e-9))
    }

    /// scipy.stats.t.sf(t, df), arguments (t, df)
    static let studentT: [Case] = [
        Case(2, 3, expected: 0.06966298427942152),
        Case(-1, 5, expected: 0.8183912661754386),
        Case(0, 7, expected: 0.5),
        Case(4.5, 2.5, expected: 0.014947029504366997),
        Case(3.3, 30, expected: 0.001249653719899027),
        Case(6, 1000, expected: 1.3776845866887376e-09),
        Case(1.96, 1e6, expected: 0.024998033792634926),
        Case(12, 4, expected: 0.0001382142742514865),
    ]

    @Test("Student's t survival function, fractional and large degrees of freedom", arguments: studentT)
    func studentTSurvival(_ c: Case) {
        #expect(isClose(StudentTDistribution.survival(c.arguments[0], degreesOfFreedom: c.arguments[1]), c.expected, relative: 1e-9))
    }

    /// scipy.stats.binom.sf(k - 1, k + kRef, n / (n + nRef)) (scipy.stats.binomtest(k, k + kRef,
    /// n / (n + nRef), alternative="greater").pvalue gives the same), arguments (k, n, kRef, nRef)
    static let rateIncrease: [Case] = [
        Case(5, 200, 40, 20_000, expected: 8.358661318025642e-05),
        Case(3, 30, 100, 20_000, expected: 0.00053124981561345),
        Case(12, 2000, 60, 20_000, expected: 0.028466365796397),
        Case(1, 30, 0, 20_000, expected: 0.0014977533699450823),
        Case(40, 2000, 400, 20_000, expected: 0.5240523230459724),
    ]

    @Test("a rate's rise is the conditional binomial test of the two counts", arguments: rateIncrease)
    func rateIncreaseTest(_ c: Case) {
        let a = c.arguments.map { UInt64($0) }
        #expect(isClose(RateIncreaseTest.pValue(current: a[0], of: a[1], reference: a[2], of: a[3]), c.expected, relative: 1e-9))
    }

    @Test("no event in the window is no evidence of a rise")
    func rateIncreaseWithoutEvents() {
        #expect(RateIncreaseTest.pValue(current: 0, of: 200, reference: 0, of: 20_000) == 1)
        #expect(RateIncreaseTest.pValue(current: 0, of: 200, reference: 50, of: 20_000) == 1)
    }

    struct Table: Sendable, CustomTestStringConvertible {
        var reference: [UInt64], current: [UInt64]
        /// The table scipy saw: the bins after collapsing (the same as the input when no bin
        /// expects fewer than five values of the smaller sample).
        var collapsed: String
        var statistic: Double, degreesOfFreedom: Int, pValue: Double
        var testDescription: String { collapsed }
    }

    /// scipy.stats.chi2_contingency([reference, current], correction=False) on the collapsed
    /// table: (statistic, dof, pvalue).
    static let tables: [Table] = [
        Table(reference: [2000, 1900, 2100, 2050, 1950], current: [40, 55, 38, 30, 37],
              collapsed: "[[2000,1900,2100,2050,1950],[40,55,38,30,37]]",
              statistic: 10.774793924638942, degreesOfFreedom: 4, pValue: 0.029215083698531496),
        Table(reference: Array(repeating: 2000, count: 10), current: [31, 22, 18, 25, 12, 20, 17, 24, 16, 15],
              collapsed: "[[2000]*10,[31,22,18,25,12,20,17,24,16,15]]",
              statistic: 14.040245388484166, degreesOfFreedom: 9, pValue: 0.12090080629325445),
        Table(reference: [19_000, 1000], current: [180, 20], collapsed: "[[19000,1000],[180,20]]",
              statistic: 10.325298002412643, degreesOfFreedom: 1, pValue: 0.0013121907150083095),
        // A categorical's slots: a rare level (1 expected) merges into its neighbour, the
        // unseen slot (empty on both sides) adds nothing.
        Table(reference: [5000, 3000, 1500, 400, 100, 0], current: [48, 35, 10, 6, 1, 0],
              collapsed: "[[5000,3000,1500,500],[48,35,10,7]]",
              statistic: 3.3475463058705235, degreesOfFreedom: 3, pValue: 0.3410797186764197),
    ]

    @Test("the homogeneity test is Pearson's chi-square of the two-row table", arguments: tables)
    func homogeneity(_ t: Table) throws {
        let r = try #require(HomogeneityTest.test(reference: t.reference, current: t.current))
        #expect(isClose(r.statistic, t.statistic, relative: 1e-9))
        #expect(r.degreesOfFreedom == t.degreesOfFreedom)
        #expect(isClose(r.pValue, t.pValue, relative: 1e-9))
    }

    @Test("a window too small for two groups of five expected values tells nothing")
    func homogeneityTooSmall() throws {
        let r = try #require(HomogeneityTest.test(reference: [5000, 5000], current: [3, 4]))
        #expect(r.degreesOfFreedom == 0)
        #expect(r.pValue == 1)
        #expect(HomogeneityTest.test(reference: [5000, 5000], current: [0, 0]) == nil)
    }

    /// scipy.stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False,
    /// alternative=...): arguments (m1, s1, n1, m2, s2, n2, one-sided "greater", "two-sided").
    static let welch: [[Double]] = [
        [10.3, 2.0, 30, 10.0, 2.1, 20_000, 0.20918779005619198, 0.41837558011238396],
        [0.52, 0.31, 200, 0.5, 0.3, 20_000, 0.18243774023789192, 0.36487548047578383],
        [-1.2, 5.0, 2000, -1.0, 4.0, 1500, 0.9055350911544403, 0.18892981769111933],
    ]

    @Test("Welch's test, one-sided and two-sided, with Welch–Satterthwaite degrees of freedom", arguments: welch)
    func welchTest(_ w: [Double]) {
        func p(twoSided: Bool) -> Double {
            WelchTest.pValue(currentMean: w[0], currentVariance: w[1] * w[1], currentCount: w[2],
                             referenceMean: w[3], referenceVariance: w[4] * w[4], referenceCount: w[5], twoSided: twoSided)
        }
        #expect(isClose(p(twoSided: false), w[6], relative: 1e-9))
        #expect(isClose(p(twoSided: true), w[7], relative: 1e-9))
    }

    /// Twenty p-values, six of them small (numpy seed 9, rounded to three digits).
    static let family: [Double] = [0.485, 0.287, 0.87, 0.603, 0.0266, 0.0004, 7e-05, 3e-05, 0.778, 0.86,
                                   0.831, 0.716, 0.918, 0.00563, 0.00021, 0.437, 0.0009, 0.0652, 0.915, 1e-06]

    /// Which of ``family`` are significant: Holm from its adjusted p-values
    /// (max over earlier ranks of (m − rank) · p, by hand in numpy, as statsmodels'
    /// multipletests(method="holm")), BH from scipy.stats.false_discovery_control(p, method="bh"),
    /// both as "adjusted p ≤ level"; none as p < level.
    static let decisions: [(level: Double, correction: MultipleTesting.Correction, significant: Set<Int>)] = [
        (0.001, .holm, [7, 19]),
        (0.001, .benjaminiHochberg, [6, 7, 19]),
        (0.001, .none, [5, 6, 7, 14, 16, 19]),
        (0.05, .holm, [5, 6, 7, 14, 16, 19]),
        (0.05, .benjaminiHochberg, [5, 6, 7, 13, 14, 16, 19]),
        (0.05, .none, [4, 5, 6, 7, 13, 14, 16, 19]),
    ]

    @Test("Holm, Benjamini–Hochberg and no correction reject what their adjusted p-values say",
          arguments: 0..<6)
    func multipleTesting(_ k: Int) {
        let (level, correction, expected) = Self.decisions[k]
        let outcome = MultipleTesting.decide(Self.family, level: level, correction: correction)
        let significant = Set(outcome.indices.filter { outcome[$0].significant })
        #expect(significant == expected, "\(correction) at \(level)")
        // The level each p-value met: Holm's level / (m − rank), BH's level · (rank + 1) / m.
        let rank = Self.family.indices.sorted { Self.family[$0] < Self.family[$1] }
        for (r, i) in rank.enumerated() {
            let m = Double(Self.family.count)
            let expectedLevel = switch correction {
            case .holm: level / (m - Double(r))
            case .benjaminiHochberg: level * Double(r + 1) / m
            case .none: level
            }
            #expect(isClose(outcome[i].level, expectedLevel, relative: 1e-15))
        }
    }

    @Test("a missing p-value is never significant and does not stop the others")
    func multipleTestingWithNaN() {
        let outcome = MultipleTesting.decide([.nan, 1e-6, 0.5], level: 0.001, correction: .holm)
        #expect(outcome.map(\.significant) == [false, true, false])
    }
}

/// Whether the homogeneity test holds its level where windows are small: under "no drift",
/// p < 0.01 must come up about 1 % of the time. One reference of 20,000 is drawn, then many
/// windows from the same distribution, as a daemon sees them.
@Suite("The homogeneity test holds its level at small windows")
struct HomogeneityCalibrationTests {
    struct Shape: Sendable, CustomTestStringConvertible {
        var name: String
        /// Slot probabilities, as the profiles hand them to the test (a numeric feature's
        /// bins then its missing bucket; a categorical's levels, then other and unseen).
        var probabilities: [Double]
        var testDescription: String { name }
    }

    static let shapes: [Shape] = [
        Shape(name: "ten equal bins and an empty missing bucket", probabilities: Array(repeating: 0.1, count: 10) + [0]),
        Shape(name: "a skewed categorical with a 0.5 % level", probabilities: [0.6, 0.25, 0.1, 0.045, 0.005, 0, 0]),
    ]

    /// Counts of `n` draws over the slots; empty slots are never drawn.
    static func counts(_ n: Int, _ probabilities: [Double], _ g: inout SeededGenerator) -> [UInt64] {
        let slots = probabilities.indices.filter { probabilities[$0] > 0 }
        var cumulative = slots.map { probabilities[$0] }
        for k in cumulative.indices.dropFirst() { cumulative[k] += cumulative[k - 1] }
        var c = [UInt64](repeating: 0, count: probabilities.count)
        for _ in 0..<n {
            let u = Double(g.next() >> 11) * 0x1p-53 * cumulative[cumulative.count - 1]
            var k = 0
            while k < slots.count - 1 && u >= cumulative[k] { k += 1 }
            c[slots[k]] += 1
        }
        return c
    }

    @Test("p < 0.01 under no drift is within half to twice 1 %, at 30 and 200 records",
          arguments: shapes, [30, 200])
    func levelHolds(_ shape: Shape, n: Int) throws {
        var g = SeededGenerator(seed: UInt64(n) &* 7919 &+ UInt64(shape.probabilities.count))
        let reference = Self.counts(20_000, shape.probabilities, &g)
        let repetitions = 10_000
        var rejected = 0
        for _ in 0..<repetitions {
            let r = try #require(HomogeneityTest.test(reference: reference, current: Self.counts(n, shape.probabilities, &g)))
            if r.pValue < 0.01 { rejected += 1 }
        }
        let rate = Double(rejected) / Double(repetitions)
        #expect(rate >= 0.005 && rate <= 0.02, "p < 0.01 in \(rejected) of \(repetitions) windows")
    }

    @Test("the hypergeometric tails behind the share-change test (scipy.stats.hypergeom)")
    func hypergeometric() {
        // scipy.stats.hypergeom.sf(1099, 22000, 11100, 2000), .cdf(950, 22000, 11100, 2000), .sf(4, 1000, 10, 30)
        #expect(isClose(HypergeometricDistribution.upperTail(atLeast: 1100, population: 22000, successes: 11100, draws: 2000),
                        1.0967742298033252e-05, relative: 1e-9))
        #expect(isClose(HypergeometricDistribution.lowerTail(atMost: 950, population: 22000, successes: 11100, draws: 2000),
                        0.0029933337653547383, relative: 1e-9))
        #expect(isClose(HypergeometricDistribution.upperTail(atLeast: 5, population: 1000, successes: 10, draws: 30),
                        3.915549323877185e-06, relative: 1e-9))
        // A tail that holds the mode, one whose first term underflows, and far tails:
        // scipy .sf(99, 22000, 11100, 2000), .cdf(1900, …), .sf(1599, …), .cdf(3, 100000, 500, 20000).
        #expect(isClose(HypergeometricDistribution.upperTail(atLeast: 100, population: 22000, successes: 11100, draws: 2000), 1.0, relative: 1e-12))
        #expect(isClose(HypergeometricDistribution.lowerTail(atMost: 1900, population: 22000, successes: 11100, draws: 2000), 1.0, relative: 1e-12))
        #expect(isClose(HypergeometricDistribution.upperTail(atLeast: 1600, population: 22000, successes: 11100, draws: 2000),
                        3.958883620333918e-180, relative: 1e-8))
        #expect(isClose(HypergeometricDistribution.lowerTail(atMost: 3, population: 100000, successes: 500, draws: 20000),
                        8.660024371269641e-44, relative: 1e-8))
        // One category of three moving 5 points in 2,000 against 20,000: Fisher's test, ×3.
        let p = ShareChangeTest.pValue(reference: [10_000, 6_000, 4_000], current: [1_100, 540, 360])!
        #expect(isClose(p, Swift.min(1, 3 * 2 * 1.0967742298033252e-05), relative: 0.2), "\(p)")
    }
}
