#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How the two-sample Kolmogorov-Smirnov p-value is computed (scipy's `ks_2samp(method=)`).
public enum KSMethod: String, Sendable, Codable, CaseIterable {
    /// `exact` when max(n1, n2) ≤ 10,000, otherwise `asymp`.
    case auto
    /// The exact distribution of D under H0 (lattice-path counting).
    case exact
    /// `kstwo.sf(D, round(n1·n2 / (n1 + n2)))`.
    case asymp
}

/// Distribution functions of the Kolmogorov-Smirnov statistic, ported from scipy 1.17.1
/// (`scipy/stats/_ksstats.py`, `scipy/stats/_stats_py.py`, `scipy/stats/_stats_pythran.py`
/// and xsf's `cephes/kolmogorov.h`), keeping scipy's algorithm selection and floating-point
/// operation order so results agree with scipy to a few units in the last place.
public enum KolmogorovSmirnovDistribution {
    /// `scipy.stats.kstwo.sf(d, n)`: P(D_n ≥ d) for the two-sided one-sample statistic
    /// D_n = sup |F_n − F| of a sample of size `n` (scipy's `kolmogn(n, d, cdf=False)` with
    /// the Simard–L'Ecuyer selection among Ruben–Gambino, Durbin/Marsaglia–Tsang–Wang,
    /// Pomeranz, Pelz–Good and 2·smirnov).
    ///
    /// Edge cases follow scipy's `rv_continuous.sf`: `d` NaN or `n < 1` → NaN;
    /// `d ≤ 0.5/n` → 1; `d ≥ 1` → 0.
    public static func oneSampleTwoSidedSurvival(_ d: Double, n: Int) -> Double {
        if d.isNaN || n < 1 { return .nan }
        if d <= 0.5 / Double(n) { return 1 }
        if !(d < 1.0) { return 0 }
        return KolmogorovOneSample.survival(n: n, x: d)
    }

    /// The exact two-sided two-sample probability P(D_{n1,n2} ≥ h / lcm(n1, n2)) that scipy's
    /// `scipy.stats._stats_py._attempt_exact_2kssamp(n1, n2, g, d, 'two-sided')` computes once
    /// it has rounded D to the lattice step `h = round(D · lcm)`:
    /// `_compute_prob_outside_square(n1, h)` when `n1 == n2`, otherwise
    /// `_compute_outer_prob_inside_method(n1, n2, gcd, h)`; `h == 0` gives 1.
    ///
    /// Returns `nil` exactly where scipy abandons the exact method and falls back to `asymp`
    /// (a floating-point error — a non-finite value where numpy would raise — or a result
    /// outside [0, 1]), and for invalid input (`n1 < 1`, `n2 < 1` or `h < 0`).
    /// Cost: O(n1 + h) when n1 == n2, else O(max(n1, n2) · min(n1, n2, 2h/(max/gcd))).
    public static func twoSampleExactSurvival(h: Int, n1: Int, n2: Int) -> Double? {
        guard n1 > 0, n2 > 0, h >= 0 else { return nil }
        if h == 0 { return 1.0 }
        let prob: Double
        if n1 == n2 {
            prob = KolmogorovTwoSample.probOutsideSquare(n: n1, h: h)
        } else {
            prob = KolmogorovTwoSample.outerProbInsideMethod(
                m: n1, n: n2, g: KolmogorovTwoSample.gcd(n1, n2), h: h)
        }
        if !prob.isFinite { return nil }
        if !(0 <= prob && prob <= 1) { return nil }
        return prob
    }

    /// The p-value of scipy's `ks_2samp(data1, data2, alternative='two-sided', method=…)`
    /// once the statistic `d` is known, for sample sizes `n1`, `n2`.
    ///
    /// - `auto` → `exact` when max(n1, n2) ≤ 10,000, else `asymp`.
    /// - `exact` → `asymp` when n1/g ≥ Int32.max / (n2/g) (g = gcd), as scipy does.
    /// - exact: h = round-half-even(d · lcm); the returned statistic becomes h / lcm (also when
    ///   the exact computation then fails and falls back to `asymp`); h == 0 → p = 1.
    /// - asymp: `kstwo.sf(d, round-half-even(m·n/(m+n)))` with m ≥ n as doubles
    ///   (n1 = n2 = 1 rounds to 0 and gives NaN, as in scipy).
    /// - The p-value is clipped to [0, 1]; the returned method is the one actually used
    ///   (never `auto`). `d` is expected in [0, 1]; sizes below 1 (which scipy rejects) or a
    ///   non-finite `d` (where scipy raises) give a NaN p-value instead of trapping.
    public static func twoSamplePValue(
        statistic d: Double, n1: Int, n2: Int, method: KSMethod
    ) -> (statistic: Double, pValue: Double, method: KSMethod) {
        var mode = method
        if mode == .auto {
            mode = max(n1, n2) <= 10_000 ? .exact : .asymp
        }
        guard n1 >= 1, n2 >= 1, d.isFinite else { return (d, .nan, mode) }
        let g = KolmogorovTwoSample.gcd(n1, n2)
        let n1g = n1 / g
        let n2g = n2 / g
        if method == .exact && Double(n1g) >= Double(Int32.max) / Double(n2g) {
            mode = .asymp
        }
        var d = d
        var prob = -Double.infinity
        if mode == .exact {
            let lcm = n1g * n2
            let scaled = (d * Double(lcm)).rounded(.toNearestOrEven)
            // D is in [0, 1]; refuse (rather than trap on) a product no Int can hold.
            guard abs(scaled) < 0x1p62 else { return (d, .nan, mode) }
            let h = Int(scaled)
            d = Double(h) * 1.0 / Double(lcm)
            if h == 0 {
                prob = 1.0
            } else if let p = twoSampleExactSurvival(h: h, n1: n1, n2: n2) {
                prob = p
            } else {
                mode = .asymp
            }
        }
        if mode == .asymp {
            let m = Double(max(n1, n2))
            let n = Double(min(n1, n2))
            let en = m * n / (m + n)
            let nRounded = en.rounded(.toNearestOrEven)
            prob = nRounded >= 1 ? oneSampleTwoSidedSurvival(d, n: Int(nRounded)) : .nan
        }
        return (d, KolmogorovOneSample.clip(prob), mode)
    }
}

// MARK: - One-sample two-sided distribution (scipy/stats/_ksstats.py)

enum KolmogorovOneSample {
    static let e128 = 128
    static let ep128 = 0x1p128
    static let em128 = 0x1p-128
    static let sqrt2pi = (2 * Double.pi).squareRoot()
    static let log2pi = log(2 * Double.pi)
    static let minLog = -708.0
    static let sqrt3 = 3.0.squareRoot()
    static let piSquared = pow(Double.pi, 2)
    static let piFour = pow(Double.pi, 4)
    static let piSix = pow(Double.pi, 6)
    static let stirlingCoeffs: [Double] = [
        -2.955065359477124183e-2, 6.4102564102564102564e-3,
        -1.9175269175269175269e-3, 8.4175084175084175084e-4,
        -5.952380952380952381e-4, 7.9365079365079365079e-4,
        -2.7777777777777777778e-3, 8.3333333333333333333e-2,
    ]

    @inline(__always)
    static func clip(_ p: Double) -> Double {
        if p.isNaN { return p }
        return min(max(p, 0.0), 1.0)
    }

    @inline(__always)
    static func ldexp(_ x: Double, _ e: Int) -> Double {
        Double(sign: .plus, exponent: e, significand: x)
    }

    /// log(n! / n^n) by Stirling's series (`_log_nfactorial_div_n_pow_n`).
    static func logNFactorialDivNPowN(_ n: Int) -> Double {
        let nd = Double(n)
        let rn = 1.0 / nd
        var poly = 0.0
        let xv = rn / nd
        for c in stirlingCoeffs { poly = poly * xv + c }
        return log(nd) / 2 - nd + log2pi / 2 + rn * poly
    }

    /// `_kolmogn(n, x, cdf=False)`.
    static func survival(n: Int, x: Double) -> Double {
        if x >= 1.0 { return 0.0 }
        if x <= 0.0 { return 1.0 }
        let nd = Double(n)
        let t = nd * x
        if t <= 1.0 {
            if t <= 0.5 { return 1.0 }
            let prob: Double
            if n <= 140 {
                let inv = 1.0 / nd
                let base = 2 * t - 1
                var p = 1.0
                for i in 1...n { p *= (Double(i) * inv) * base }
                prob = p
            } else {
                prob = exp(logNFactorialDivNPowN(n) + nd * log(2 * t - 1))
            }
            return clip(1.0 - prob)
        }
        if t >= Double(n - 1) {
            return clip(2 * pow(1.0 - x, nd))
        }
        if x >= 0.5 {
            return clip(2 * Smirnov.survival(n: n, x: x))
        }
        let nxSquared = t * x
        if n <= 140 {
            if nxSquared <= 0.754693 {
                return clip(1.0 - durbinMTWCDF(n: n, d: x))
            }
            if nxSquared <= 4 {
                return clip(1.0 - pomeranzCDF(n: n, x: x))
            }
            return clip(2 * Smirnov.survival(n: n, x: x))
        }
        if nxSquared >= 370.0 { return 0.0 }
        if nxSquared >= 2.2 {
            return clip(2 * Smirnov.survival(n: n, x: x))
        }
        let cdfProb: Double
        if nxSquared >= 18.0 {
            cdfProb = 1.0
        } else if n <= 100_000 && nd * pow(x, 1.5) <= 1.4 {
            cdfProb = durbinMTWCDF(n: n, d: x)
        } else {
            cdfProb = pelzGoodCDF(n: n, x: x)
        }
        return clip(1.0 - cdfProb)
    }

    /// Pr(D_n ≤ d) by Durbin's matrix method, Marsaglia–Tsang–Wang (`_kolmogn_DMTW`).
    static func durbinMTWCDF(n: Int, d: Double) -> Double {
        if d >= 1.0 { return 1.0 }
        let nd = Double(n) * d
        if nd <= 0.5 { return 0.0 }
        let k = Int(ceil(nd))
        let h = Double(k) - nd
        let m = 2 * k - 1

        var v = [Double](repeating: 0, count: m)
        var w = [Double](repeating: 0, count: m)
        for j in 1...m { v[j - 1] = 1.0 - pow(h, Double(j)) }
        var fac = 1.0
        for j in 1...m {
            w[j - 1] = fac
            fac /= Double(j)
            v[j - 1] *= fac
        }
        let tt = pow(max(2 * h - 1.0, 0), Double(m)) - 2 * pow(h, Double(m))
        v[m - 1] = (1.0 + tt) * fac

        var hMat = [Double](repeating: 0, count: m * m)  // row-major
        if m > 1 {
            for i in 1..<m {
                for r in (i - 1)..<m { hMat[r * m + i] = w[r - (i - 1)] }
            }
        }
        for r in 0..<m { hMat[r * m] = v[r] }
        for c in 0..<m { hMat[(m - 1) * m + c] = v[m - 1 - c] }

        var hPow = [Double](repeating: 0, count: m * m)
        for i in 0..<m { hPow[i * m + i] = 1 }
        var scratch = [Double](repeating: 0, count: m * m)
        var nn = n
        var expnt = 0
        var hExpnt = 0
        let diag = (k - 1) * m + (k - 1)
        while nn > 0 {
            if nn % 2 != 0 {
                matmul(hPow, hMat, into: &scratch, m)
                swap(&hPow, &scratch)
                expnt += hExpnt
            }
            matmul(hMat, hMat, into: &scratch, m)
            swap(&hMat, &scratch)
            hExpnt *= 2
            if abs(hMat[diag]) > ep128 {
                for i in 0..<(m * m) { hMat[i] /= ep128 }
                hExpnt += e128
            }
            nn /= 2
        }

        var p = hPow[diag]
        let nD = Double(n)
        for i in 1...n {
            p = Double(i) * p / nD
            if abs(p) < em128 {
                p *= ep128
                expnt -= e128
            }
        }
        if expnt != 0 { p = ldexp(p, expnt) }
        return clip(p)
    }

    /// c = a · b for m×m row-major matrices.
    static func matmul(_ a: [Double], _ b: [Double], into c: inout [Double], _ m: Int) {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    for i in 0..<(m * m) { pc[i] = 0 }
                    for i in 0..<m {
                        let rowC = i * m
                        for kk in 0..<m {
                            let aik = pa[i * m + kk]
                            if aik == 0 { continue }
                            let rowB = kk * m
                            for j in 0..<m { pc[rowC + j] += aik * pb[rowB + j] }
                        }
                    }
                }
            }
        }
    }

    /// `_pomeranz_compute_j1j2`.
    static func pomeranzJ1J2(_ i: Int, _ n: Int, _ ll: Int, _ ceilf: Int, _ roundf: Int) -> (Int, Int) {
        var j1: Int
        var j2: Int
        if i == 0 {
            j1 = -ll - ceilf - 1
            j2 = ll + ceilf - 1
        } else {
            let ip1div2 = (i + 1) / 2
            let ip1mod2 = (i + 1) % 2
            if ip1mod2 == 0 {
                if ip1div2 == n + 1 {
                    j1 = n - ll - ceilf - 1
                    j2 = n + ll + ceilf - 1
                } else {
                    j1 = ip1div2 - 1 - ll - roundf - 1
                    j2 = ip1div2 + ll - 1 + ceilf - 1
                }
            } else {
                j1 = ip1div2 - 1 - ll - 1
                j2 = ip1div2 + ll + roundf - 1
            }
        }
        return (max(j1 + 2, 0), min(j2, n))
    }

    /// Python slice bounds `[start:stop]` for a sequence of length `count` (step 1).
    @inline(__always)
    static func pySliceBounds(_ start: Int, _ stop: Int, count: Int) -> Range<Int> {
        func norm(_ i: Int) -> Int {
            if i < 0 { return max(i + count, 0) }
            return min(i, count)
        }
        let s = norm(start)
        let e = norm(stop)
        return s..<max(s, e)
    }

    /// Pr(D_n ≤ x) by the Pomeranz recursion (`_kolmogn_Pomeranz`).
    static func pomeranzCDF(n: Int, x: Double) -> Double {
        let nd = Double(n)
        let t = nd * x
        let ll = Int(floor(t))
        let f = 1.0 * (t - Double(ll))
        let g = min(f, 1.0 - f)
        let ceilf = f > 0 ? 1 : 0
        let roundf = f > 0.5 ? 1 : 0
        let npwrs = 2 * (ll + 1)
        var gpower = [Double](repeating: 0, count: npwrs)
        var twogpower = [Double](repeating: 0, count: npwrs)
        var onem2gpower = [Double](repeating: 0, count: npwrs)
        gpower[0] = 1.0
        twogpower[0] = 1.0
        onem2gpower[0] = 1.0
        var expnt = 0
        let gOverN = g / nd
        let twoGOverN = 2 * g / nd
        let oneMinusTwoGOverN = (1 - 2 * g) / nd
        for m in 1..<npwrs {
            gpower[m] = gpower[m - 1] * gOverN / Double(m)
            twogpower[m] = twogpower[m - 1] * twoGOverN / Double(m)
            onem2gpower[m] = onem2gpower[m - 1] * oneMinusTwoGOverN / Double(m)
        }

        var v0 = [Double](repeating: 0, count: npwrs)
        var v1 = [Double](repeating: 0, count: npwrs)
        v1[0] = 1
        var v0s = 0
        var v1s = 0

        var (j1, j2) = pomeranzJ1J2(0, n, ll, ceilf, roundf)
        for i in 1..<(2 * n + 2) {
            let k1 = j1
            swap(&v0, &v1)
            swap(&v0s, &v1s)
            for idx in 0..<npwrs { v1[idx] = 0 }
            (j1, j2) = pomeranzJ1J2(i, n, ll, ceilf, roundf)
            let isEnd = (i == 1 || i == 2 * n + 1)
            let ln2 = j2 - k1 + 1
            if ln2 > 0 {
                let aRange = pySliceBounds(k1 - v0s, k1 - v0s + ln2, count: npwrs)
                let bRange = pySliceBounds(0, ln2, count: npwrs)
                let la = aRange.count
                let lb = bRange.count
                let convCount = la + lb - 1
                let convStart = j1 - k1
                let convLen = j2 - j1 + 1
                let segRange = pySliceBounds(convStart, convStart + convLen, count: max(convCount, 0))
                let dstRange = pySliceBounds(0, convLen, count: npwrs)
                let count = min(segRange.count, dstRange.count)
                // Full convolution entry c[q] = Σ_i a[i] · b[q − i].
                for o in 0..<count {
                    let q = segRange.lowerBound + o
                    var s = 0.0
                    let iLo = max(0, q - (lb - 1))
                    let iHi = min(la - 1, q)
                    if iLo <= iHi {
                        for ii in iLo...iHi {
                            let bv: Double
                            let bIdx = bRange.lowerBound + (q - ii)
                            if isEnd {
                                bv = gpower[bIdx]
                            } else if i % 2 != 0 {
                                bv = twogpower[bIdx]
                            } else {
                                bv = onem2gpower[bIdx]
                            }
                            s += v0[aRange.lowerBound + ii] * bv
                        }
                    }
                    v1[dstRange.lowerBound + o] = s
                }
                var vmax = -Double.infinity
                for idx in 0..<npwrs where v1[idx] > vmax { vmax = v1[idx] }
                if 0 < vmax && vmax < em128 {
                    for idx in 0..<npwrs { v1[idx] *= ep128 }
                    expnt -= e128
                }
                v1s = v0s + j1 - k1
            }
        }

        var ansIdx = n - v1s
        if ansIdx < 0 { ansIdx += npwrs }
        var ans = (ansIdx >= 0 && ansIdx < npwrs) ? v1[ansIdx] : .nan
        for m in 1...n {
            if abs(ans) > ep128 {
                ans *= em128
                expnt += e128
            }
            ans *= Double(m)
        }
        if expnt != 0 { ans = ldexp(ans, expnt) }
        return clip(ans)
    }

    /// Pelz–Good approximation to Pr(D_n ≤ x) (`_kolmogn_PelzGood`, cdf=True).
    static func pelzGoodCDF(n: Int, x: Double) -> Double {
        if x <= 0.0 { return 0.0 }
        if x >= 1.0 { return 1.0 }
        let nd = Double(n)
        let z = nd.squareRoot() * x
        let zsquared = pow(z, 2)
        let zthree = pow(z, 3)
        let zfour = pow(z, 4)
        let zsix = pow(z, 6)

        let qlog = -piSquared / 8 / zsquared
        if qlog < minLog { return 0.0 }
        var q = exp(qlog)

        let k1a = -zsquared
        let k1b = piSquared / 4
        let k2a = 6 * zsix + 2 * zfour
        let k2b = (2 * zfour - 5 * zsquared) * piSquared / 4
        let k2c = piFour * (1 - 2 * zsquared) / 16
        let k3d = piSix * (5 - 30 * zsquared) / 64
        let k3c = piFour * (-60 * zsquared + 212 * zfour) / 16
        let k3b = piSquared * (135 * zfour - 96 * zsix) / 4
        let k3a = -30 * zsix - 90 * pow(z, 8)

        var kk: (Double, Double, Double, Double) = (0, 0, 0, 0)
        let maxk = Int(ceil(16 * z / Double.pi))
        var k = maxk
        while k > 0 {
            let m = Double(2 * k - 1)
            let msquared = m * m
            let mfour = msquared * msquared
            let msix = mfour * msquared
            let qpower = pow(q, Double(8 * k))
            kk.0 = kk.0 * qpower + 1.0
            kk.1 = kk.1 * qpower + (k1a + k1b * msquared)
            kk.2 = kk.2 * qpower + (k2a + k2b * msquared + k2c * mfour)
            kk.3 = kk.3 * qpower + (k3a + k3b * msquared + k3c * mfour + k3d * msix)
            k -= 1
        }
        kk.0 *= q; kk.1 *= q; kk.2 *= q; kk.3 *= q
        kk.0 *= sqrt2pi; kk.1 *= sqrt2pi; kk.2 *= sqrt2pi; kk.3 *= sqrt2pi
        kk.0 /= z
        kk.1 /= 6 * zfour
        kk.2 /= 72 * pow(z, 7)
        kk.3 /= 6480 * pow(z, 10)

        q = exp(-piSquared / 2 / zsquared)
        let sqrt3z = sqrt3 * z
        var k2extra = 0.0
        var k3extra = 0.0
        k = maxk
        while k > 0 {
            let ksq = Double(k * k)
            let qp = pow(q, ksq)
            let kspi = Double.pi * Double(k)
            k2extra += ksq * qp
            k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksq * qp
            k -= 1
        }
        k2extra *= piSquared * sqrt2pi / (-36 * zthree)
        kk.2 += k2extra
        k3extra *= piSquared * sqrt2pi / (216 * zsix)
        kk.3 += k3extra
        kk.0 /= pow(nd, 0.0)
        kk.1 /= pow(nd, 0.5)
        kk.2 /= pow(nd, 1.0)
        kk.3 /= pow(nd, 1.5)
        return 0 + kk.0 + kk.1 + kk.2 + kk.3
    }
}

// MARK: - One-sided Smirnov distribution (xsf cephes/kolmogorov.h)

/// Double-double arithmetic, as in xsf's `cephes/dd_real.h` (qd 2.3.18).
struct DoubleDouble {
    var hi: Double
    var lo: Double

    init(_ hi: Double, _ lo: Double) {
        self.hi = hi
        self.lo = lo
    }

    init(_ x: Double) {
        hi = x
        lo = 0
    }

    @inline(__always)
    static func quickTwoSum(_ a: Double, _ b: Double) -> (Double, Double) {
        let s = a + b
        let c = s - a
        return (s, b - c)
    }

    @inline(__always)
    static func twoSum(_ a: Double, _ b: Double) -> (Double, Double) {
        let s = a + b
        let c = s - a
        let d = b - c
        let e = s - c
        return (s, (a - e) + d)
    }

    @inline(__always)
    static func twoProd(_ a: Double, _ b: Double) -> (Double, Double) {
        let p = a * b
        return (p, (-p).addingProduct(a, b))
    }

    static prefix func - (x: DoubleDouble) -> DoubleDouble { DoubleDouble(-x.hi, -x.lo) }

    static func + (l: DoubleDouble, r: DoubleDouble) -> DoubleDouble {
        var (s1, s2) = twoSum(l.hi, r.hi)
        let (t1, t2) = twoSum(l.lo, r.lo)
        s2 += t1
        (s1, s2) = quickTwoSum(s1, s2)
        s2 += t2
        (s1, s2) = quickTwoSum(s1, s2)
        return DoubleDouble(s1, s2)
    }

    static func + (l: DoubleDouble, r: Double) -> DoubleDouble {
        var (s1, s2) = twoSum(l.hi, r)
        s2 += l.lo
        (s1, s2) = quickTwoSum(s1, s2)
        return DoubleDouble(s1, s2)
    }

    static func + (l: Double, r: DoubleDouble) -> DoubleDouble {
        var (s1, s2) = twoSum(l, r.hi)
        s2 += r.lo
        (s1, s2) = quickTwoSum(s1, s2)
        return DoubleDouble(s1, s2)
    }

    static func - (l: DoubleDouble, r: DoubleDouble) -> DoubleDouble { l + (-r) }

    static func - (l: DoubleDouble, r: Double) -> DoubleDouble {
        var (s1, s2) = twoSum(l.hi, -r)
        s2 += l.lo
        (s1, s2) = quickTwoSum(s1, s2)
        return DoubleDouble(s1, s2)
    }

    static func - (l: Double, r: DoubleDouble) -> DoubleDouble {
        var (s1, s2) = twoSum(l, -r.hi)
        s2 -= r.lo
        (s1, s2) = quickTwoSum(s1, s2)
        return DoubleDouble(s1, s2)
    }

    static func * (l: DoubleDouble, r: DoubleDouble) -> DoubleDouble {
        var (p1, p2) = twoProd(l.hi, r.hi)
        p2 += (l.hi * r.lo + l.lo * r.hi)
        (p1, p2) = quickTwoSum(p1, p2)
        return DoubleDouble(p1, p2)
    }

    static func * (l: DoubleDouble, r: Double) -> DoubleDouble {
        let (p1, e1) = twoProd(l.hi, r)
        let (p2, e2) = twoProd(l.lo, r)
        let (s, e) = quickTwoSum(p1, e2 + p2 + e1)
        return DoubleDouble(s, e)
    }

    static func * (l: Double, r: DoubleDouble) -> DoubleDouble {
        let (p1, e1) = twoProd(l, r.hi)
        let (p2, e2) = twoProd(l, r.lo)
        let (s, e) = quickTwoSum(p1, e2 + p2 + e1)
        return DoubleDouble(s, e)
    }

    static func / (l: DoubleDouble, r: DoubleDouble) -> DoubleDouble {
        var q1 = l.hi / r.hi
        var rem = l - r * q1
        var q2 = rem.hi / r.hi
        rem = rem - r * q2
        let q3 = rem.hi / r.hi
        (q1, q2) = quickTwoSum(q1, q2)
        return DoubleDouble(q1, q2) + q3
    }

    static func / (l: DoubleDouble, r: Double) -> DoubleDouble { l / DoubleDouble(r) }
    static func / (l: Double, r: DoubleDouble) -> DoubleDouble { DoubleDouble(l) / r }

    /// `a == double` in dd_real.h: hi equal and lo zero.
    @inline(__always)
    func equals(_ x: Double) -> Bool { hi == x && lo == 0.0 }

    var isFinite: Bool { hi.isFinite }

    func floored() -> DoubleDouble {
        var h = hi.rounded(.down)
        var l = 0.0
        if h == hi {
            l = lo.rounded(.down)
            (h, l) = DoubleDouble.quickTwoSum(h, l)
        }
        return DoubleDouble(h, l)
    }

    func ldexp(_ e: Int) -> DoubleDouble {
        DoubleDouble(KolmogorovOneSample.ldexp(hi, e), KolmogorovOneSample.ldexp(lo, e))
    }

    /// Returns (b, e) with 0.5 ≤ |b.hi| < 1 (or |b.hi| == 1 with b.hi·b.lo < 0) and self = b·2^e.
    func frexp() -> (DoubleDouble, Int) {
        var (man, exponent) = Smirnov.frexp(hi)
        var b1 = KolmogorovOneSample.ldexp(lo, -exponent)
        if abs(man) == 0.5 && man * b1 < 0 {
            man *= 2
            b1 *= 2
            exponent -= 1
        }
        return (DoubleDouble(man, b1), exponent)
    }
}

enum Smirnov {
    static let minLog = -7.451332191019412076235245305675398106812E2
    static let maxComputeN = 1_000_000
    static let upperMaxTerms = 3
    static let upperSumMinN = 10
    static let maxExponent = 960
    static let ln2 = 0.693147180559945309417232121458176568

    /// C `frexp`: x = m · 2^e with 0.5 ≤ |m| < 1 (x finite, non-zero), else (x, 0).
    static func frexp(_ x: Double) -> (Double, Int) {
        if x == 0 || !x.isFinite { return (x, 0) }
        let e = Int(x.exponent) + 1
        return (Double(sign: x.sign, exponent: -1, significand: x.significand), e)
    }

    static func nextPowerOf2(_ x: Double) -> Double {
        let q = KolmogorovOneSample.ldexp(x, 1 - Double.significandBitCount - 1)
        var l = abs(q + x)
        if l == 0 {
            l = abs(x)
        } else if l < 2_147_483_648.0 {
            let lInt = Double(Int32(l))
            if lInt == l { l = lInt }
        }
        return l
    }

    /// (a.hi + a.lo)^m in double-double, using libm pow for the leading part.
    static func powD(_ a: DoubleDouble, _ m: Int) -> DoubleDouble {
        if m <= 0 {
            if m == 0 { return DoubleDouble(1.0) }
            return 1.0 / powD(a, -m)
        }
        if a.equals(0.0) { return DoubleDouble(0.0) }
        let ans = pow(a.hi, Double(m))
        let r = a.lo / a.hi
        var adj = Double(m) * r
        if abs(adj) > 1e-8 {
            if abs(adj) < 1e-4 {
                adj += (Double(m) * r) * (Double(m - 1) / 2.0 * r)
            } else {
                adj = IGam.cephesExpm1(Double(m) * log1p(r))
            }
        }
        return DoubleDouble(ans) + ans * adj
    }

    static func pow2(_ a: Double, _ b: Double, _ m: Int) -> Double {
        powD(DoubleDouble(a) + b, m).hi
    }

    /// a^m = significand · 2^exponent, avoiding underflow.
    static func pow2ScaledD(_ a: DoubleDouble, _ m: Int) -> (DoubleDouble, Int) {
        if m <= 0 {
            if m == 0 { return (DoubleDouble(1.0), 0) }
            let (inv, aE1) = pow2ScaledD(a, -m)
            let (ans, aE2) = (1.0 / inv).frexp()
            return (ans, -aE1 + aE2)
        }
        let (y, yE) = a.frexp()
        if m == 1 { return (y, yE) }
        var maxExpt = maxExponent
        if Double(m) * (y.hi - 1) / y.hi < Double(-maxExponent) * ln2 {
            let lg2y = log(y.hi) / ln2
            let lgAns = Double(m) * lg2y
            if lgAns <= Double(-maxExponent) {
                maxExpt = Int(nextPowerOf2(Double(-maxExponent) / lg2y + 1) / 2)
            }
        }
        if m <= maxExpt {
            let ans1 = powD(y, m)
            var (ans, ansE) = ans1.frexp()
            ansE += m * yE
            return (ans, ansE)
        }
        let q = m / maxExpt
        let r = m % maxExpt
        let (y2r, y2rE) = pow2ScaledD(y, r)
        let (y2m, y2mE) = pow2ScaledD(y, maxExpt)
        var (y2mq, y2mqE) = pow2ScaledD(y2m, q)
        var (ans, ansE) = (y2r * y2mq).frexp()
        y2mqE += y2mE * q
        ansE += y2mqE + y2rE
        ansE += m * yE
        return (ans, ansE)
    }

    /// ((a + b) / (c + d))^m in double-double.
    static func pow4D(_ a: Double, _ b: Double, _ c: Double, _ d: Double, _ m: Int) -> DoubleDouble {
        if m <= 0 {
            if m == 0 { return DoubleDouble(1.0) }
            return pow4D(c, d, a, b, -m)
        }
        let bigA = DoubleDouble(a) + b
        let bigC = DoubleDouble(c) + d
        if bigA.equals(0.0) {
            return bigC.equals(0.0) ? DoubleDouble(.nan, .nan) : DoubleDouble(0.0)
        }
        if bigC.equals(0.0) {
            return bigA.hi < 0 || (bigA.hi == 0 && bigA.lo < 0)
                ? DoubleDouble(-.infinity, -.infinity) : DoubleDouble(.infinity, .infinity)
        }
        return powD(bigA / bigC, m)
    }

    /// A_v(n, x) = C(n, v) (1 − x − v/n)^(n−v) (x + v/n)^(v−1).
    static func computeAv(_ n: Int, _ x: Double, _ v: Int, _ cman: DoubleDouble, _ cexpt: Int) -> DoubleDouble {
        let t2x = DoubleDouble(Double(n - v)) / Double(n) - x
        let (t2, t2E) = pow2ScaledD(t2x, n - v)
        let t1x = DoubleDouble(Double(v)) / Double(n) + x
        let (t1, t1E) = pow2ScaledD(t1x, v - 1)
        var ans = t1 * t2
        ans = ans * cman
        let ansE = cexpt + t1E + t2E
        return ans.ldexp(ansE)
    }

    /// floor(n·x) and its remainder, computed exactly.
    static func modNX(_ n: Int, _ x: Double) -> (alpha: Double, nxFloor: Int, nx: Double) {
        let nxD = Double(n) * DoubleDouble(x)
        let nxFloorD = nxD.floored()
        let alphaD = nxD - nxFloorD
        var alpha = alphaD.hi
        var nxFloor = Int(nxFloorD.hi)
        if alpha == 1 {
            nxFloor += 1
            alpha = 0
        }
        return (alpha, nxFloor, nxD.hi)
    }

    static func updateBinomial(_ cman: inout DoubleDouble, _ cexpt: inout Int, _ n: Int, _ j: Int) {
        let rat = DoubleDouble(Double(n - j)) / (Double(j) + 1.0)
        let man2 = cman * rat
        let (m2, expt) = man2.frexp()
        cexpt += expt
        cman = m2
    }

    /// `scipy.special.smirnov(n, x)`: P(D_n^+ ≥ x) (xsf `cephes::smirnov`).
    static func survival(n: Int, x: Double) -> Double {
        if x.isNaN { return .nan }
        if !(n > 0 && x >= 0.0 && x <= 1.0) { return .nan }
        if n == 1 { return 1 - x }
        if x == 0.0 { return 1.0 }
        if x == 1.0 { return 0.0 }

        let (alpha, nxfl, _) = modNX(n, x)
        var n1mxfl = n - nxfl - (alpha == 0 ? 0 : 1)
        var n1mxceil = n - nxfl
        if alpha == 0 {
            n1mxfl -= 1
            n1mxceil += 1
        }

        // x <= 1/n
        if nxfl == 0 || (nxfl == 1 && alpha == 0) {
            let t = pow2(1, x, n - 1)
            let cdf = x * t
            return 1 - cdf
        }
        // sf underflows
        if Double(-2 * n) * x * x < minLog { return 0 }
        // x >= 1 - 1/n
        if nxfl >= n - 1 { return pow2(1, -x, n) }
        // n too big to compute
        if n > maxComputeN {
            let logp = -pow(6.0 * Double(n) * x + 1, 2) / 18.0 / Double(n)
            let sf: Double
            if logp < -ln2 {
                sf = exp(logp)
            } else {
                sf = 1 - (-IGam.cephesExpm1(logp))
            }
            return sf
        }

        let nUpperTerms = n - n1mxceil + 1
        var useUpperSum = nUpperTerms <= 1 && x < 0.5
        useUpperSum = useUpperSum
            || (n >= upperSumMinN && nUpperTerms <= upperMaxTerms
                && x <= 0.5 / Double(n).squareRoot())

        var start = 0
        var step = 1
        var nTerms = n1mxfl + 1
        var firstJ = 0
        let vmid = n / 2
        var cman = DoubleDouble(1.0)
        var cexpt = 0
        var ajSum = DoubleDouble(0.0)
        var aj: DoubleDouble
        if useUpperSum {
            start = n
            step = -1
            nTerms = n - n1mxceil + 1
            aj = pow4D(1, x, 1, 0, n - 1)
        } else {
            let t2 = pow4D(1, -x, 1, 0, n)
            aj = t2 / x
        }
        ajSum = ajSum + aj
        updateBinomial(&cman, &cexpt, n, 0)
        firstJ += 1

        var j = firstJ
        while j < nTerms {
            let v = start + j * step
            aj = computeAv(n, x, v, cman, cexpt)
            if aj.isFinite && !aj.equals(0.0) {
                ajSum = ajSum + aj
            }
            if !aj.equals(0.0) {
                if (Double(4 * (nTerms - j)) * abs(aj.hi) < Double.ulpOfOne * ajSum.hi)
                    && (j != nTerms - 1) {
                    break
                }
            } else if j > vmid {
                break
            }
            updateBinomial(&cman, &cexpt, n, j)
            j += 1
        }
        let prob = (x * ajSum).hi
        let sf = step < 0 ? 1 - prob : prob
        return min(max(sf, 0.0), 1.0)
    }
}

// MARK: - Two-sample exact distribution (scipy/stats/_stats_py.py, _stats_pythran.py)

enum KolmogorovTwoSample {
    static func gcd(_ a: Int, _ b: Int) -> Int {
        var a = abs(a)
        var b = abs(b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }

    /// `_compute_prob_outside_square(n, h)`: P(D_{n,n} ≥ h/n), h > 0.
    static func probOutsideSquare(n: Int, h: Int) -> Double {
        var p = 0.0
        var k = Int((Double(n) / Double(h)).rounded(.down))
        while k >= 0 {
            var p1 = 1.0
            for j in 0..<h {
                p1 = Double(n - k * h - j) * p1 / Double(n + k * h + j + 1)
            }
            p = p1 * (1.0 - p)
            k -= 1
        }
        return 2 * p
    }

    /// `_compute_outer_prob_inside_method(m, n, g, h)`: the proportion of lattice paths from
    /// (0, 0) to (m, n) that leave the band |x/m − y/n| < h/lcm(m, n) (Hodges' inside method,
    /// Viehmann's recursion for 1 − p).
    static func outerProbInsideMethod(m mIn: Int, n nIn: Int, g: Int, h: Int) -> Double {
        var m = mIn
        var n = nIn
        if m < n { swap(&m, &n) }
        let mg = m / g
        let ng = n / g
        let mgD = Double(mg)
        let hD = Double(h)

        var minj = 0
        var maxj = min(Int(ceil(hD / mgD)), n + 1)
        var curlen = maxj - minj
        let lenA = min(2 * maxj + 2, n + 1)
        var a = [Double](repeating: 1.0, count: lenA)
        for idx in minj..<min(maxj, lenA) { a[idx] = 0.0 }
        return a.withUnsafeMutableBufferPointer { buf -> Double in
            for i in 1...m {
                let lastminj = minj
                let lastlen = curlen
                minj = max(Int(floor(Double(ng * i - h) / mgD)) + 1, 0)
                minj = min(minj, n)
                maxj = min(Int(ceil(Double(ng * i + h) / mgD)), n + 1)
                if maxj <= minj { return 1.0 }
                var val = minj == 0 ? 0.0 : 1.0
                let iD = Double(i)
                let shift = minj - lastminj
                let width = maxj - minj
                for jj in 0..<width {
                    let j = jj + minj
                    val = (buf[jj + shift] * iD + val * Double(j)) / Double(i + j)
                    buf[jj] = val
                }
                curlen = width
                if lastlen > curlen {
                    let lo = min(width, lenA)
                    let hi = min(width + (lastlen - curlen), lenA)
                    if lo < hi { for idx in lo..<hi { buf[idx] = 1 } }
                }
            }
            return buf[maxj - minj - 1]
        }
    }
}
