#!/usr/bin/env python3
"""W1, driftd's benchmark workload: a deterministic generator of inference records.

Model "w1", record format v1, one JSON object a line, keys in this order:
  {"model":"w1","model_version":"1.0","id":"s<seed>-<row:08d>","ts":<epoch ms, +5 a row>,
   "features":{"f00":..,"f15":..,"c0":..,"c3":..},"prediction":..}

Baseline distributions (what the reference file holds, and the stream before the drift):
  f00 N(0,1)                f01 N(10,2)                 f02 N(5,1)
  f03 lognormal(0,0.5)      f04 U(0,100)                f05 N(50,5)
  f06 Exp(scale 2)          f07 N(0,1)                  f08 0.6 N(-2,0.5) + 0.4 N(2,0.8)
  f09 Poisson(3), integer   f10 Poisson(0.5), integer   f11 N(100,15), 1% null
  f12 lognormal(3,1)        f13 U(-1,1)                 f14 integer U{18..80}
  f15 Beta(2,5)
  c0 5 levels a..e uniform   c1 20 levels k00..k19, zipf(1.1)
  c2 100 levels v000..v099, zipf(1.1)                   c3 boolean, P(true) = 0.3
  prediction = sigmoid(linear combination of the standardised inputs + c1 effect + c3 + noise)
Integers (f09, f10, f14) give ties; floats are rounded to 5 decimals (f12 to 3), the
prediction to 6.

Drift, from row --drift-start (500,000 in the default stream) to the end of the file:
  f01 mean +0.5 sd (N(11,2));  f02 sd x1.5 (N(5,1.5));  f05 20% of values from a new mode
  N(65,1) (+3 sd);  f07 a gradual ramp of the mean, 0 at the drift start to +1 sd at the
  end of the file;  c1 10% of values replaced by a new category "NEW";  the prediction
  moves with them.  Nothing else changes (f11's nulls are there before and after).

Default (no variant flags): into --dir (default $W1_DIR, else /tmp/w1) writes
  data/w1_ref.jsonl     200,000 rows, seed 1, no drift
  data/w1_stream.jsonl  1,000,000 rows, seed 2, drift from row 500,000
  ground_truth.json     for each window of --window rows (50,000) of the stream, which
                        features drift in it ("windows"[i]["drifted"][feature])
Variants: --rows N --seed S [--drift-start K | --no-drift] [--out PATH] [--truth PATH]
(the drift then runs from K, default N/2, to row N).

Determinism: rows are drawn in blocks of 50,000, block b from
Generator(PCG64(SeedSequence(seed, spawn_key=(b,)))), so a file depends only on its rows,
seed and drift rows; the same arguments give the same bytes (with the same JSON library).
"""
import argparse
import json
import math
import os
import sys

import numpy as np

try:
    import orjson
except ImportError:
    orjson = None

BLOCK = 50_000
NUMERIC = [f"f{i:02d}" for i in range(16)]
CATEGORICAL = ["c0", "c1", "c2", "c3"]
DRIFTING = ["f01", "f02", "f05", "f07", "c1", "prediction"]
REF = dict(rows=200_000, seed=1, ts0=1_764_000_000_000)
STREAM = dict(rows=1_000_000, seed=2, ts0=1_764_100_000_000, drift_start=500_000)
TS_STEP_MS = 5


def zipf(n, s=1.1):
    w = np.arange(1, n + 1, dtype=np.float64) ** -s
    return w / w.sum()


C0 = ["a", "b", "c", "d", "e"]
C1 = [f"k{i:02d}" for i in range(20)] + ["NEW"]  # index 20 only appears in drift
C2 = [f"v{i:03d}" for i in range(100)]
C1_P, C2_P = zipf(20), zipf(100)
# The prediction's dependence on c1: spread over the baseline levels, strong for "NEW".
C1_EFFECT = np.append(np.linspace(-0.4, 0.4, 20), 1.0)


def _dumps(values):
    if orjson is not None:
        return orjson.dumps(values)
    return json.dumps(values, separators=(",", ":")).encode()


def _tokens(values):
    """A list of numbers/None -> the list of their JSON spellings (bytes)."""
    return _dumps(values)[1:-1].split(b",")


def _level_tokens(levels):
    return np.array([_dumps(v) for v in levels], dtype=object)


C0_T, C1_T, C2_T = _level_tokens(C0), _level_tokens(C1), _level_tokens(C2)
BOOL_T = np.array([b"false", b"true"], dtype=object)


def block(seed, b, first, n, drift_start, drift_end):
    """Columns of rows [first, first + n): dict of numpy arrays (f11's nulls as a mask)."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(b,))))
    row = np.arange(first, first + n)
    if drift_start is None:
        drift = np.zeros(n, dtype=bool)
        ramp = np.zeros(n)
    else:
        drift = row >= drift_start
        ramp = np.where(drift, (row - drift_start) / float(drift_end - drift_start), 0.0)
    c = {}
    c["f00"] = rng.standard_normal(n)
    c["f01"] = rng.normal(10.0, 2.0, n) + np.where(drift, 0.5 * 2.0, 0.0)
    c["f02"] = 5.0 + rng.standard_normal(n) * np.where(drift, 1.5, 1.0)
    c["f03"] = rng.lognormal(0.0, 0.5, n)
    c["f04"] = rng.uniform(0.0, 100.0, n)
    f05 = rng.normal(50.0, 5.0, n)
    new_mode = rng.normal(65.0, 1.0, n)
    c["f05"] = np.where(drift & (rng.random(n) < 0.2), new_mode, f05)
    c["f06"] = rng.exponential(2.0, n)
    c["f07"] = rng.standard_normal(n) + ramp * 1.0
    low = rng.random(n) < 0.6
    c["f08"] = np.where(low, rng.normal(-2.0, 0.5, n), rng.normal(2.0, 0.8, n))
    c["f09"] = rng.poisson(3.0, n)
    c["f10"] = rng.poisson(0.5, n)
    c["f11"] = rng.normal(100.0, 15.0, n)
    f11_null = rng.random(n) < 0.01
    c["f12"] = rng.lognormal(3.0, 1.0, n)
    c["f13"] = rng.uniform(-1.0, 1.0, n)
    c["f14"] = rng.integers(18, 81, n)
    c["f15"] = rng.beta(2.0, 5.0, n)
    c0 = rng.integers(0, 5, n)
    c1 = rng.choice(20, n, p=C1_P)
    c1[drift & (rng.random(n) < 0.10)] = 20
    c2 = rng.choice(100, n, p=C2_P)
    c3 = rng.random(n) < 0.3
    z = (0.25 * c["f00"] + 0.5 * (c["f01"] - 10.0) / 2.0 + 0.35 * (c["f02"] - 5.0)
         + 0.4 * (c["f05"] - 50.0) / 5.0 + 0.3 * c["f07"] - 0.1 * c["f08"]
         + 0.15 * (c["f09"] - 3.0) / math.sqrt(3.0) + 0.5 * c3 + C1_EFFECT[c1] - 1.0
         + rng.normal(0.0, 0.3, n))
    prediction = 1.0 / (1.0 + np.exp(-z))
    for k in NUMERIC:
        if c[k].dtype.kind == "f":
            c[k] = np.round(c[k], 3 if k == "f12" else 5)
    return c, f11_null, c0, c1, c2, c3, np.round(prediction, 6)


def _line_format(seed):
    feats = ",".join(f'"{k}":%b' for k in NUMERIC + CATEGORICAL)
    return ('{"model":"w1","model_version":"1.0","id":"s%d-%%08d","ts":%%d,"features":{%s},'
            '"prediction":%%b}\n' % (seed, feats)).encode()


def write(path, rows, seed, ts0, drift_start=None, drift_end=None):
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fmt = _line_format(seed)
    partial = path + ".partial"  # renamed when complete: an interrupted run leaves no short file
    with open(partial, "wb") as out:
        for b, first in enumerate(range(0, rows, BLOCK)):
            n = min(BLOCK, rows - first)
            c, f11_null, c0, c1, c2, c3, pred = block(seed, b, first, n, drift_start, drift_end)
            cols = []
            for k in NUMERIC:
                if k == "f11":
                    v = c[k].astype(object)
                    v[f11_null] = None
                    cols.append(_tokens(v.tolist()))
                else:
                    cols.append(_tokens(c[k].tolist()))
            cols += [C0_T[c0].tolist(), C1_T[c1].tolist(), C2_T[c2].tolist(),
                     BOOL_T[c3.astype(np.intp)].tolist(), _tokens(pred.tolist())]
            ids = range(first, first + n)
            ts = range(ts0 + first * TS_STEP_MS, ts0 + (first + n) * TS_STEP_MS, TS_STEP_MS)
            out.write(b"".join(map(fmt.__mod__, zip(ids, ts, *cols))))
    os.replace(partial, path)


def ground_truth(rows, window, drift_start, drift_end, stream_file, reference_file):
    features = NUMERIC + CATEGORICAL + ["prediction"]
    windows = []
    for w, start in enumerate(range(0, rows, window)):
        end = min(rows, start + window)
        drifted = dict.fromkeys(features, False)
        magnitude = {}
        if drift_start is not None and end > drift_start:
            for f in DRIFTING:
                drifted[f] = True
            a, b = max(start, drift_start) - drift_start, end - drift_start
            magnitude["f07_mean_shift_sd"] = round((a + b) / 2 / (drift_end - drift_start), 4)
            magnitude["drifted_row_fraction"] = round((end - max(start, drift_start)) / (end - start), 4)
        windows.append({"window": w, "start_row": start, "end_row": end,
                        "drifted": drifted, "magnitude": magnitude})
    return {
        "model": "w1", "stream_file": stream_file, "reference_file": reference_file,
        "window_rows": window, "n_windows": len(windows), "drift_start_row": drift_start,
        "numeric_features": NUMERIC + ["prediction"], "categorical_features": CATEGORICAL,
        "drift_spec": {
            "f01": "mean +0.5 sd (N(10,2) -> N(11,2))",
            "f02": "sd x1.5 (N(5,1) -> N(5,1.5))",
            "f05": "20% of values replaced by new mode N(65,1) (= +3 sd)",
            "f07": "gradual ramp: mean shift 0 at drift start -> +1 sd at end of file",
            "c1": "10% of values replaced by new category 'NEW'",
            "prediction": "shifts as a consequence of f01/f02/f05/f07/c1",
        },
        "note": "drifted=true means the generating distribution differs from the reference; "
                "the first f07 windows shift little (see magnitude) and may stay below a PSI "
                "threshold. f11 has 1% nulls in reference and stream alike (not drift).",
        "windows": windows,
    }


def _dump_truth(truth, path):
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    with open(path + ".partial", "w") as f:
        json.dump(truth, f, indent=1)
        f.write("\n")
    os.replace(path + ".partial", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default=os.environ.get("W1_DIR", "/tmp/w1"),
                    help="where the default files go (data/ and ground_truth.json); default $W1_DIR or /tmp/w1")
    ap.add_argument("--rows", type=int, help="variant: number of rows (default 1,000,000)")
    ap.add_argument("--seed", type=int, help="variant: seed (default 2)")
    ap.add_argument("--drift-start", type=int, help="variant: first drifted row (default rows/2)")
    ap.add_argument("--no-drift", action="store_true", help="variant: no drift at all")
    ap.add_argument("--window", type=int, default=50_000, help="rows per ground-truth window")
    ap.add_argument("--out", help="variant: output file (default DIR/data/w1_r<rows>_s<seed>.jsonl)")
    ap.add_argument("--truth", help="variant: also write its ground truth here")
    a = ap.parse_args()
    if a.no_drift and a.drift_start is not None:
        ap.error("--drift-start and --no-drift exclude each other")
    variant = any(v is not None for v in (a.rows, a.seed, a.drift_start, a.out, a.truth)) or a.no_drift
    if not variant:
        ref = os.path.join(a.dir, "data", "w1_ref.jsonl")
        stream = os.path.join(a.dir, "data", "w1_stream.jsonl")
        write(ref, REF["rows"], REF["seed"], REF["ts0"])
        write(stream, STREAM["rows"], STREAM["seed"], STREAM["ts0"], STREAM["drift_start"], STREAM["rows"])
        truth = os.path.join(a.dir, "ground_truth.json")
        _dump_truth(ground_truth(STREAM["rows"], a.window, STREAM["drift_start"], STREAM["rows"],
                                 "data/w1_stream.jsonl", "data/w1_ref.jsonl"), truth)
        print("wrote", ref, stream, truth)
        return
    rows = a.rows if a.rows is not None else STREAM["rows"]
    seed = a.seed if a.seed is not None else STREAM["seed"]
    start = None if a.no_drift else (a.drift_start if a.drift_start is not None else rows // 2)
    if start is not None and not 0 <= start < rows:
        ap.error("--drift-start must lie within the rows")
    out = a.out or os.path.join(a.dir, "data", f"w1_r{rows}_s{seed}.jsonl")
    write(out, rows, seed, STREAM["ts0"], start, rows if start is not None else None)
    if a.truth:
        _dump_truth(ground_truth(rows, a.window, start, rows, out, None), a.truth)
    print("wrote", out, file=sys.stderr)


if __name__ == "__main__":
    main()
