#!/usr/bin/env python3
"""The numpy/scipy peer of driftd's streaming pipeline, "what a user would write instead":
the baseline from the reference file, then for every window of the stream file (50,000
records) per numeric column (f00..f15, prediction) KS and decile PSI, per categorical
column (c0..c3) PSI and chi-square. Timed from the file: parsing and statistics.

The decision rule (drifttests.py): KS p < 0.05 drifts; decile PSI >= 0.1 drifts;
chi-square p < 0.05 drifts; categorical PSI >= 0.1 drifts. As functions:
  Baseline(ref_num, ref_cat).window(num, cat) -> {feature: {"ks_p", "ks_drift", "psi",
      "psi_drift"} or {"psi", "psi_drift", "chi2_p", "chi2_drift"}}
  flags(result) -> {"ks": {feature: bool}, "psi": {...}, "chi2": {...}}
  run(ref_path, stream_path, window, max_windows) -> (per-window results, timings)
so that another benchmark (false alarms on a stream without drift, say) applies the same
rule.

Prints one line, RESULT {json}: records, bytes, parse_s, compute_s, rec_per_s (the
stream's records over its parse + compute time), MB_per_s, the reference's load and
baseline time, and for each rule the windows in which each feature was flagged.
usage: peer_numpy.py [--ref PATH] [--stream PATH] [--window N] [--max-windows K] [--flags OUT.json]
(defaults: $W1_DIR/data/w1_ref.jsonl and w1_stream.jsonl, W1_DIR defaulting to /tmp/w1)"""
import argparse
import json
import os
import sys
import time

import numpy as np
import scipy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import drifttests as T  # noqa: E402
import w1data as W  # noqa: E402

RULES = ("ks", "psi", "chi2")


class Baseline:
    """What the peer keeps of the reference: each numeric column's present values, decile
    edges and shares, each categorical column's category shares."""

    def __init__(self, ref_num, ref_cat):
        self.numeric = []
        for j in range(len(W.NUMERIC)):
            x = T.present(ref_num[:, j])
            edges = T.decile_edges(x)
            self.numeric.append((x, edges, T.bin_shares(x, edges)))
        self.categorical = [T.shares(T.category_counts(c)) for c in ref_cat]

    def window(self, num, cat):
        out = {}
        for j, name in enumerate(W.NUMERIC):
            ref, edges, ref_shares = self.numeric[j]
            x = T.present(num[:, j])
            d, p = T.ks(ref, x)
            value = T.psi(ref_shares, T.bin_shares(x, edges))
            out[name] = {"ks_d": d, "ks_p": p, "ks_drift": T.ks_drifts(p),
                         "psi": value, "psi_drift": T.psi_drifts(value)}
        for j, name in enumerate(W.CATEGORICAL):
            value, p = T.categorical(self.categorical[j], T.category_counts(cat[j]))
            out[name] = {"psi": value, "psi_drift": T.psi_drifts(value),
                         "chi2_p": p, "chi2_drift": T.chi2_drifts(p)}
        return out


def flags(result):
    """One window's result -> {rule: {feature: drifted}} (a rule only for the features it tests)."""
    return {rule: {f: r[rule + "_drift"] for f, r in result.items() if rule + "_drift" in r}
            for rule in RULES}


def run(ref_path, stream_path, window=W.WINDOW, max_windows=0):
    t0 = time.perf_counter()
    ref_num, ref_cat = W.load(ref_path)
    t1 = time.perf_counter()
    base = Baseline(ref_num, ref_cat)
    t2 = time.perf_counter()
    results, parse_s, compute_s, records = [], 0.0, 0.0, 0
    for lines in W.line_windows(stream_path, window, max_windows):
        a = time.perf_counter()
        num, cat = W.parse(lines)
        b = time.perf_counter()
        results.append(base.window(num, cat))
        c = time.perf_counter()
        parse_s += b - a
        compute_s += c - b
        records += len(lines)
    timings = {"records": records, "ref_parse_s": t1 - t0, "baseline_build_s": t2 - t1,
               "parse_s": parse_s, "compute_s": compute_s}
    return results, timings


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", default=W.ref_path())
    ap.add_argument("--stream", default=W.stream_path())
    ap.add_argument("--window", type=int, default=W.WINDOW)
    ap.add_argument("--max-windows", type=int, default=0, help="0: all")
    ap.add_argument("--flags", help="write every window's values and decisions here (JSON)")
    a = ap.parse_args()
    results, t = run(a.ref, a.stream, a.window, a.max_windows)
    flagged = {rule: {} for rule in RULES}
    for w, r in enumerate(results):
        for rule, fs in flags(r).items():
            for f, drifted in fs.items():
                if drifted:
                    flagged[rule].setdefault(f, []).append(w)
    if a.flags:
        with open(a.flags, "w") as f:
            json.dump([{"window": w, "features": r} for w, r in enumerate(results)], f)
    total = t["parse_s"] + t["compute_s"]
    nbytes = os.path.getsize(a.stream)
    out = {"tool": "numpy/scipy per-window peer", "version": f"numpy {np.__version__}, scipy {scipy.__version__}, {W.JSON_LIB}",
           "stage": "stream -> per-window KS + decile PSI (numeric), PSI + chi-square (categorical)",
           "records": t["records"], "windows": len(results), "bytes": nbytes,
           "parse_s": round(t["parse_s"], 3), "compute_s": round(t["compute_s"], 3), "total_s": round(total, 3),
           "rec_per_s": round(t["records"] / total, 1) if total else None,
           "MB_per_s": round(nbytes / 1e6 / total, 2) if total else None,
           "ref_parse_s": round(t["ref_parse_s"], 3), "baseline_build_s": round(t["baseline_build_s"], 3),
           "rule": {"ks": f"p < {T.KS_ALPHA}", "psi": f">= {T.PSI_DRIFT}", "chi2": f"p < {T.CHI2_ALPHA}"},
           "flagged_windows": flagged}
    print("RESULT " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
