#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The tests behind driftd's decisions: for each statistic it alerts on, how likely a value
/// at least this far from the reference is when nothing changed, for the sample sizes at
/// hand. Every function returns a p-value in [0, 1]; where an approximation is used it is
/// one whose error at small samples was measured (see `HomogeneityTest`).
public enum NormalDistribution {
    /// P(Z > z) for a standard normal Z.
    public static func survival(_ z: Double) -> Double { 0.5 * erfc(z / 2.0.squareRoot()) }
}

/// The regularized incomplete beta function I_x(a, b), by Lentz's continued fraction
/// (the classical expansion, evaluated on the side where it converges fast).
public enum IncompleteBeta {
    public static func regularized(_ x: Double, a: Double, b: Double) -> Double {
        if x.isNaN || a.isNaN || b.isNaN || !(a > 0) || !(b > 0) { return .nan }
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = ChiSquareDistribution.logGamma(a + b) - ChiSquareDistribution.logGamma(a) - ChiSquareDistribution.logGamma(b)
            + a * log(x) + b * log1p(-x)
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * continuedFraction(x, a, b) / a
        }
        return 1 - exp(logFront) * continuedFraction(1 - x, b, a) / b
    }

    static func continuedFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            var aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d; h *= d * c
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let step = d * c
            h *= step
            if abs(step - 1) < 1e-15 { break }
        }
        return h
    }
}

public enum BinomialDistribution {
    /// P(X ≥ k) for X ~ Binomial(n, p), exactly (through the incomplete beta function).
    public static func upperTail(atLeast k: Int, trials n: Int, probability p: Double) -> Double {
        if k <= 0 { return 1 }
        if k > n { return 0 }
        if p <= 0 { return 0 }
        if p >= 1 { return 1 }
        return IncompleteBeta.regularized(p, a: Double(k), b: Double(n - k + 1))
    }
}

public enum PoissonDistribution {
    /// P(X ≤ k) for X ~ Poisson(λ).
    public static func lowerTail(atMost k: Int, mean lambda: Double) -> Double {
        if k < 0 { return 0 }
        if !(lambda > 0) { return 1 }
        return ChiSquareDistribution.regularizedUpperGamma(Double(k) + 1, lambda)
    }
}

public enum StudentTDistribution {
    /// P(T > t) for T ~ Student's t with ν degrees of freedom.
    public static func survival(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        if t.isNaN || !(nu > 0) { return .nan }
        if nu.isInfinite || nu > 1e7 { return NormalDistribution.survival(t) }
        let tail = 0.5 * IncompleteBeta.regularized(nu / (nu + t * t), a: nu / 2, b: 0.5)
        return t >= 0 ? tail : 1 - tail
    }
}

/// Whether an event is more frequent in the current window than in the reference: k of n
/// current rows against kRef of nRef reference rows. Conditional on the total k + kRef,
/// k is Binomial(k + kRef, n / (n + nRef)) when both come from one rate, so the upper tail
/// of that binomial is an exact one-sided p-value for rare events (and a conservative one
/// for common events, whose binomial variance is below the Poisson variance it assumes).
/// The reference's own sampling error is inside the test, so a small reference cannot make
/// a false alarm.
public enum RateIncreaseTest {
    public static func pValue(current k: UInt64, of n: UInt64, reference kRef: UInt64, of nRef: UInt64) -> Double {
        guard n > 0, nRef > 0, k > 0 else { return 1 }
        let total = Int(k + kRef)
        return BinomialDistribution.upperTail(atLeast: Int(k), trials: total, probability: Double(n) / Double(n + nRef))
    }
}

/// The hypergeometric distribution: k successes in n draws without replacement from a
/// population of M holding T successes — the exact law of a 2×2 table given its margins.
public enum HypergeometricDistribution {
    static func logChoose(_ n: Double, _ k: Double) -> Double {
        ChiSquareDistribution.logGamma(n + 1) - ChiSquareDistribution.logGamma(k + 1) - ChiSquareDistribution.logGamma(n - k + 1)
    }

    static func logProbability(_ k: Int, population m: Int, successes t: Int, draws n: Int) -> Double {
        logChoose(Double(t), Double(k)) + logChoose(Double(m - t), Double(n - k)) - logChoose(Double(m), Double(n))
    }

    /// P(X ≥ k), summed outward from k until the terms no longer matter.
    public static func upperTail(atLeast k: Int, population m: Int, successes t: Int, draws n: Int) -> Double {
        let low = Swift.max(0, n - (m - t)), high = Swift.min(n, t)
        if k <= low { return 1 }
        if k > high { return 0 }
        let mean = Double(n) * Double(t) / Double(m)
        // P(x + 1) / P(x) = (t − x)(n − x) / ((x + 1)(m − t − n + x + 1)).
        return tail(from: k, logFirst: logProbability(k, population: m, successes: t, draws: n), steps: high - k) { x in
            (Double(t - x) * Double(n - x)) / (Double(x + 1) * Double(m - t - n + x + 1))
        } isPastMean: { Double($0) > mean } next: { $0 + 1 }
    }

    /// P(X ≤ k).
    public static func lowerTail(atMost k: Int, population m: Int, successes t: Int, draws n: Int) -> Double {
        let low = Swift.max(0, n - (m - t)), high = Swift.min(n, t)
        if k >= high { return 1 }
        if k < low { return 0 }
        let mean = Double(n) * Double(t) / Double(m)
        // P(x − 1) / P(x) = x (m − t − n + x) / ((t − x + 1)(n − x + 1)).
        return tail(from: k, logFirst: logProbability(k, population: m, successes: t, draws: n), steps: k - low) { x in
            (Double(x) * Double(m - t - n + x)) / (Double(t - x + 1) * Double(n - x + 1))
        } isPastMean: { Double($0) < mean } next: { $0 - 1 }
    }

    /// Σ P(x) from the first term outward: one log-gamma evaluation for the first term, then
    /// each term from the one before by the ratio of consecutive probabilities (a window
    /// close evaluates this for every category of every categorical feature, and six
    /// log-gammas per term were most of its cost). The sum is kept relative to the first
    /// term and rescaled before it could overflow, so a first term that underflows (a tail
    /// starting far from the mode) still sums to the right value.
    private static func tail(from k: Int, logFirst: Double, steps: Int, ratio: (Int) -> Double,
                             isPastMean: (Int) -> Bool, next: (Int) -> Int) -> Double {
        var logScale = logFirst, term = 1.0, sum = 1.0, x = k
        for _ in 0..<steps {
            term *= ratio(x)
            x = next(x)
            sum += term
            if sum > 1e250 { logScale += log(sum); term /= sum; sum = 1 }
            if term < sum * 1e-17 && isPastMean(x) { break }
        }
        return Swift.min(1, exp(logScale + log(sum)))
    }
}

/// Whether any one category's share changed: each category against all others, the window
/// against the reference, by Fisher's exact test (the hypergeometric law of the 2×2 table,
/// two-sided as twice the smaller tail), the smallest p-value times the number of
/// categories tested (Bonferroni). It matches the statistic it tests — the largest change of
/// one share — keeps its power when one category moves and the others barely do, and is
/// exact, so rare categories in small windows cannot make a false alarm.
public enum ShareChangeTest {
    public static func pValue(reference: [UInt64], current: [UInt64]) -> Double? {
        precondition(reference.count == current.count, "both samples must be counted on the same categories")
        let nRef = Int(reference.reduce(0, &+)), nCur = Int(current.reduce(0, &+))
        guard nRef > 0, nCur > 0 else { return nil }
        let population = nRef + nCur
        var smallest = 1.0, tested = 0
        for (r, c) in zip(reference, current) where r + c > 0 {
            tested += 1
            let successes = Int(r + c), k = Int(c)
            let upper = HypergeometricDistribution.upperTail(atLeast: k, population: population, successes: successes, draws: nCur)
            let lower = HypergeometricDistribution.lowerTail(atMost: k, population: population, successes: successes, draws: nCur)
            smallest = Swift.min(smallest, Swift.min(1, 2 * Swift.min(upper, lower)))
        }
        guard tested > 1 else { return 1 }
        return Swift.min(1, smallest * Double(tested))
    }
}

/// Two-sample chi-square test of homogeneity on the bins of a histogram (PSI's and
/// Jensen–Shannon's bins, or a categorical feature's slots): do the reference and the current
/// counts come from one distribution?
///
/// PSI over B bins is, under "no drift", asymptotically (1/n + 1/N) · χ²(B−1) (Yurdakul 2018);
/// the Pearson statistic of the same table is the form of that limit that holds up at small
/// windows: PSI's 1e-4 floor for an empty bin inflates it far beyond its χ² law when a window
/// has few records per bin. So driftd tests on the Pearson statistic, after merging adjacent
/// bins until each merged group expects at least `minimumExpected` values of the smaller
/// sample (a collapsed or empty bin, a missing bucket nobody uses, and rare categories merge
/// into their neighbours). Simulated at n = 30, 200 and 2,000 against N = 200,000 with the
/// default 5, the observed rate of p < α stayed within 1.0–2.0 × α down to α = 1e-5
/// (Tests/DriftStatsTests/SignificanceTests.swift keeps a smaller version of that check).
public enum HomogeneityTest {
    public struct Result: Sendable, Equatable, Codable {
        public var statistic: Double
        public var degreesOfFreedom: Int
        public var pValue: Double
    }

    public static let defaultMinimumExpected = 5.0

    public static func test(reference: [UInt64], current: [UInt64], minimumExpected: Double = defaultMinimumExpected) -> Result? {
        precondition(reference.count == current.count, "both samples must be counted on the same bins")
        let nRef = reference.reduce(0, &+), nCur = current.reduce(0, &+)
        guard nRef > 0, nCur > 0 else { return nil }
        let total = Double(nRef + nCur), smaller = Double(Swift.min(nRef, nCur))
        // Groups of adjacent bins, each with enough expected values in the smaller sample.
        var groups: [(r: Double, c: Double)] = []
        var r = 0.0, c = 0.0
        for k in reference.indices {
            r += Double(reference[k]); c += Double(current[k])
            if (r + c) / total * smaller >= minimumExpected { groups.append((r, c)); r = 0; c = 0 }
        }
        if r + c > 0 {
            if groups.isEmpty { groups.append((r, c)) } else { groups[groups.count - 1].r += r; groups[groups.count - 1].c += c }
        }
        guard groups.count > 1 else { return Result(statistic: 0, degreesOfFreedom: 0, pValue: 1) }
        let shareRef = Double(nRef) / total, shareCur = Double(nCur) / total
        var x2 = 0.0
        for g in groups {
            let pooled = g.r + g.c
            let er = pooled * shareRef, ec = pooled * shareCur
            x2 += (g.r - er) * (g.r - er) / er + (g.c - ec) * (g.c - ec) / ec
        }
        let dof = groups.count - 1
        return Result(statistic: x2, degreesOfFreedom: dof, pValue: ChiSquareDistribution.survival(x2, degreesOfFreedom: Double(dof)))
    }
}

/// Welch's one-sided test that the current mean is above the reference mean (or, with
/// `twoSided`, different from it), from the two samples' moments.
public enum WelchTest {
    public static func pValue(currentMean m1: Double, currentVariance v1: Double, currentCount n1: Double,
                              referenceMean m2: Double, referenceVariance v2: Double, referenceCount n2: Double,
                              twoSided: Bool = false) -> Double {
        guard n1 >= 2, n2 >= 2 else { return 1 }
        let a = v1 / n1, b = v2 / n2
        let se2 = a + b
        guard se2 > 0 else { return m1 == m2 ? 1 : 0 }
        let t = (m1 - m2) / se2.squareRoot()
        let dof = se2 * se2 / (a * a / (n1 - 1) + b * b / (n2 - 1))
        let tail = StudentTDistribution.survival(twoSided ? abs(t) : t, degreesOfFreedom: dof.isFinite ? dof : 1e8)
        return twoSided ? Swift.min(1, 2 * tail) : tail
    }
}

/// Holm's step-down procedure over one family of tests: which p-values are significant
/// with the family-wise error held at `level`, and the level each was compared with.
/// Valid under any dependence between the tests (features of one model are correlated).
public enum MultipleTesting {
    public enum Correction: String, Sendable, Codable, CaseIterable {
        /// Holm: family-wise error ≤ level.
        case holm
        /// Benjamini–Hochberg: false-discovery rate ≤ level.
        case benjaminiHochberg = "benjamini_hochberg"
        /// Each test at `level` on its own.
        case none
    }

    /// For each p-value, the level it was compared with and whether it passed.
    public static func decide(_ pValues: [Double], level: Double, correction: Correction) -> [(level: Double, significant: Bool)] {
        let m = pValues.count
        guard m > 0 else { return [] }
        let order = pValues.indices.sorted { (pValues[$0].isNaN ? 2 : pValues[$0]) < (pValues[$1].isNaN ? 2 : pValues[$1]) }
        var out = Array(repeating: (level: level, significant: false), count: m)
        switch correction {
        case .none:
            for i in 0..<m { out[i] = (level, pValues[i] < level) }
        case .holm:
            var rejecting = true
            for (rank, i) in order.enumerated() {
                let threshold = level / Double(m - rank)
                if rejecting && !(pValues[i] <= threshold) { rejecting = false }
                out[i] = (threshold, rejecting)
            }
        case .benjaminiHochberg:
            var largest = -1
            for (rank, i) in order.enumerated() where pValues[i] <= level * Double(rank + 1) / Double(m) { largest = rank }
            for (rank, i) in order.enumerated() {
                out[i] = (level * Double(rank + 1) / Double(m), rank <= largest)
            }
        }
        return out
    }
}
