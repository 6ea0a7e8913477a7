#!/usr/bin/env python3
"""What a user writes instead of `driftd compare`: whole-file drift between two W1 files
with numpy/scipy. Numeric columns (f00..f15, prediction): PSI on the reference's deciles
(empty bins 1e-4), scipy.stats.ks_2samp, Wasserstein-1 over max(sd(ref), 0.001).
Categorical columns (c0..c3): PSI over the categories and scipy.stats.chisquare.
Prints one JSON line: parse/compute/total seconds, rows, bytes, and every feature's values.
usage: compare_numpy.py REF.jsonl CUR.jsonl"""
import json
import os
import sys
import time

import numpy as np
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import drifttests as T  # noqa: E402
import w1data as W  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: compare_numpy.py REF.jsonl CUR.jsonl")
    ref_path, cur_path = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    ref_num, ref_cat = W.load(ref_path)
    cur_num, cur_cat = W.load(cur_path)
    t1 = time.perf_counter()
    features = {}
    for j, name in enumerate(W.NUMERIC):
        x, y = T.present(ref_num[:, j]), T.present(cur_num[:, j])
        edges = T.decile_edges(x)
        d, p = T.ks(x, y)
        w1n = stats.wasserstein_distance(x, y) / max(float(np.std(x)), 0.001)
        features[name] = {"psi": T.psi(T.bin_shares(x, edges), T.bin_shares(y, edges)),
                          "ks": [d, p], "w1n": float(w1n)}
    for j, name in enumerate(W.CATEGORICAL):
        value, p = T.categorical(T.shares(T.category_counts(ref_cat[j])), T.category_counts(cur_cat[j]))
        features[name] = {"psi": value, "chi2_p": p}
    t2 = time.perf_counter()
    print(json.dumps({"tool": "numpy/scipy compare", "parse_s": round(t1 - t0, 3),
                      "compute_s": round(t2 - t1, 3), "total_s": round(t2 - t0, 3),
                      "rows": len(ref_num) + len(cur_num),
                      "bytes": os.path.getsize(ref_path) + os.path.getsize(cur_path),
                      "features": features}))


if __name__ == "__main__":
    main()
