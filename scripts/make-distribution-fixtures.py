#!/usr/bin/env python3
"""Write Tests/DriftStatsTests/Fixtures/scipy-distributions.jsonl.

Reference values for DriftStats' p-value functions, computed with scipy (1.17.1 when the
file was generated; the versions used are printed). One JSON object per line:

  {"function": "kstwo_sf", "n": int, "d": float, "expected": float, "branch": str}
      scipy.stats.kstwo.sf(d, n)
      -> KolmogorovSmirnovDistribution.oneSampleTwoSidedSurvival(d, n:)
  {"function": "ks_2samp_exact", "n1": int, "n2": int, "h": int, "expected": float | null,
   "fallback": bool}
      scipy.stats._stats_py._attempt_exact_2kssamp(n1, n2, gcd, h/lcm, "two-sided");
      expected is null (and fallback true) where scipy gives up on the exact method
      -> KolmogorovSmirnovDistribution.twoSampleExactSurvival(h:n1:n2:) (nil on fallback)
  {"function": "chi2_sf", "k": float, "x": float, "expected": float, "branch": str}
      scipy.stats.chi2.sf(x, k)
      -> ChiSquareDistribution.survival(_:degreesOfFreedom:)

"branch" names the algorithm scipy selects, so a failing case points at the code path.
Suggested tolerances: relative 1e-9 where expected >= 1e-300 (absolute 1e-15 below), and
1e-10 relative for ks_2samp_exact. All values are finite; floats are written with repr so
they round-trip exactly.

Usage: python3 scripts/make-distribution-fixtures.py [output path]
"""
import json
import math
import os
import random
import sys
import warnings

import numpy as np
import scipy
from scipy.stats import chi2, kstwo
from scipy.stats._stats_py import _attempt_exact_2kssamp

warnings.simplefilter("ignore")
rng = random.Random(20240601)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "Tests", "DriftStatsTests", "Fixtures",
                           "scipy-distributions.jsonl")


def kstwo_branch(n, x):
    """Mirror of the algorithm selection in scipy.stats._ksstats._kolmogn(cdf=False)."""
    if x <= 0.5 / n:
        return "support_low"
    if x >= 1.0:
        return "support_high"
    t = n * x
    if t <= 1.0:
        return "ruben_gambino_low"
    if t >= n - 1:
        return "ruben_gambino_high"
    if x >= 0.5:
        return "smirnov"
    nx2 = t * x
    if n <= 140:
        if nx2 <= 0.754693:
            return "durbin_mtw"
        if nx2 <= 4:
            return "pomeranz"
        return "smirnov"
    if nx2 >= 370.0:
        return "zero"
    if nx2 >= 2.2:
        return "smirnov_approx" if n > 1000000 else "smirnov"
    if n <= 100000 and n * x ** 1.5 <= 1.4:
        return "durbin_mtw"
    return "pelz_good"


def chi2_branch(k, x):
    """Mirror of the branch selection in cephes igamc(k/2, x/2)."""
    if x <= 0:
        return "x_nonpositive"
    a, xx = k / 2.0, x / 2.0
    r = abs(xx - a) / a
    if (20 < a < 200 and r < 0.3) or (a > 200 and r < 4.5 / math.sqrt(a)):
        return "asymptotic"
    if xx > 1.1:
        return "one_minus_series" if xx < a else "continued_fraction"
    if xx <= 0.5:
        return "one_minus_series" if -0.4 / math.log(xx) < a else "small_x_series"
    return "one_minus_series" if xx * 1.1 < a else "small_x_series"


def kstwo_cases():
    cases = []
    for n in [1, 3, 8, 20, 50, 140]:
        for x in [0.75 / n, 1.5 / n, 0.6, (n - 1) / n * 1.001]:
            if 0.5 / n < x < 1:
                cases.append((n, x))
        for z in [0.6, 0.85, 1.0, 1.2, 1.6, 1.9, 2.2, 3.0]:
            x = z / math.sqrt(n)
            if x < 1:
                cases.append((n, x))
    for n in [141, 1000, 10000, 100000, 100001, 2000000]:
        for z in [0.05, 0.3, 0.6, 0.9, 1.2, 1.48, 1.6, 2.5, 8.0, 20.0]:
            cases.append((n, z / math.sqrt(n)))
        x = (1.4 / n) ** (2 / 3)
        cases += [(n, x * 0.999), (n, x * 1.001), (n, 0.75 / n), (n, 0.5)]
    return cases


def exact_cases():
    cases = set()
    # n1 == n2, including cases where scipy's value exceeds 1 and it falls back to asymp
    for n in [1, 5, 100, 999, 1000, 2500, 10000]:
        for h in [1, 2, 5, n // 10, n // 2, n]:
            if h >= 1:
                cases.add((n, n, h))
    # coprime and large-gcd pairs; small/medium D keeps the test fast
    pairs = [(1, 2), (3, 7), (13, 17), (99, 100), (101, 97), (500, 499), (997, 1009),
             (10000, 9999), (1, 10000), (37, 9991), (120, 180), (1000, 3000),
             (5000, 10000), (360, 840), (12, 10000), (250, 50)]
    for n1, n2 in pairs:
        g = math.gcd(n1, n2)
        lcm = (n1 // g) * n2
        en = n1 * n2 / (n1 + n2)
        big = n1 * n2 > 2e6
        for z in [0.5, 1.36, 2.5, 5.0]:
            d = z / math.sqrt(en)
            if d <= 1:
                h = int(np.round(d * lcm))
                if h >= 1:
                    cases.add((n1, n2, h))
        cases.add((n1, n2, 1))
        if not big:
            cases.add((n1, n2, lcm))
            cases.add((n1, n2, rng.randint(1, lcm)))
    return sorted(cases)


def chi2_cases():
    cases = []
    for k in [1, 3, 10, 41, 100, 401, 1000, 5000]:
        for r in [1e-6, 0.5, 0.9, 1.0, 1.1, 1.5, 3.0]:
            cases.append((float(k), k * r))
        if k >= 41:
            cases += [(float(k), k * 0.95), (float(k), k * 1.05)]
        for lp in [-13, -100, -300]:
            cases.append((float(k), float(chi2.isf(10.0 ** lp, k))))
    for _ in range(10):
        cases.append((10 ** rng.uniform(-1, 3.7), 10 ** rng.uniform(-3, 6)))
    cases += [(0.5, 1e-10), (1.0, 0.3), (7.5, 1.0), (2.0, 1e6), (3000.0, 1e6), (1.0, 0.0)]
    return cases


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    lines = []
    for n, x in kstwo_cases():
        p = float(kstwo.sf(x, n))
        lines.append({"function": "kstwo_sf", "n": n, "d": float(x), "expected": p,
                      "branch": kstwo_branch(n, x)})
    for n1, n2, h in exact_cases():
        g = math.gcd(n1, n2)
        lcm = (n1 // g) * n2
        d = np.float64(h * 1.0 / lcm)
        assert int(np.round(d * lcm)) == h
        ok, _, prob = _attempt_exact_2kssamp(n1, n2, g, d, "two-sided")
        lines.append({"function": "ks_2samp_exact", "n1": n1, "n2": n2, "h": h,
                      "expected": float(prob) if ok else None, "fallback": not ok})
    for k, x in chi2_cases():
        p = float(chi2.sf(x, k))
        lines.append({"function": "chi2_sf", "k": float(k), "x": float(x), "expected": p,
                      "branch": chi2_branch(k, x)})
    for obj in lines:
        for key, v in obj.items():
            if isinstance(v, float):
                assert math.isfinite(v), obj
    with open(out_path, "w") as f:
        for obj in lines:
            f.write(json.dumps(obj, separators=(",", ":")) + "\n")
    counts = {}
    for obj in lines:
        counts[obj["function"]] = counts.get(obj["function"], 0) + 1
    print(f"wrote {len(lines)} lines to {out_path} "
          f"(scipy {scipy.__version__}, numpy {np.__version__}): {counts}")


if __name__ == "__main__":
    main()
