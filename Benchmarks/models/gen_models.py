#!/usr/bin/env python3
"""Many-model workload: N models of 20 features each (or --numeric/--categorical), records
spread evenly across them.

Writes two JSON Lines files and a driftd configuration into OUT:
  ref.jsonl     REF records per model (the baselines' reference), models interleaved
  stream.jsonl  RECORDS records, model i of N at every N-th line, event time rising by the
                same step for every model, so that all models' event-time windows close
                together (WINDOWS windows of WINDOW_MS)
  driftd.yaml   the models, event-time windows, default rules

Every model has the same feature design (16 numeric, 4 categorical): 12 normal, 2
lognormal, 2 uniform; categories of 3, 5, 12 and 40 levels. Feature values come from two
pools of 50,000 draws (one for the reference, one for the stream), so that writing millions
of records costs seconds. No drift: the benchmark measures cost, not decisions.

  gen_models.py --models 1000 --records 2000000 --out /tmp/models-1000
  gen_models.py --models 1 --numeric 180 --categorical 20 --records 200000 --ref 20000 --out /tmp/wide
"""
import argparse
import os
import random

NUMERIC = 16
CATEGORIES = [3, 5, 12, 40]


def features(rng, numeric=NUMERIC, categorical=len(CATEGORIES)):
    # Wider models repeat the 20-feature design: numeric feature k is drawn like k mod 16,
    # categorical feature k has the levels of k mod 4.
    parts = []
    for k in range(numeric):
        j = k % NUMERIC
        if j < 12:
            v = rng.gauss(j, 1 + j / 10)
        elif j < 14:
            v = rng.lognormvariate(0, 0.5)
        else:
            v = rng.uniform(0, 100)
        parts.append('"n%02d":%.4f' % (k, v))
    for k in range(categorical):
        levels = CATEGORIES[k % len(CATEGORIES)]
        parts.append('"c%d":"v%d"' % (k, min(int(rng.paretovariate(1.2)) - 1, levels - 1)))
    return '"features":{%s},"prediction":%.4f}\n' % (",".join(parts), rng.random())


def record(pool, model, i, ts):
    # A hash of the line number picks the draw: any stride would alias with the number of
    # models (model m's records are lines m, m+N, m+2N, ...) and give each model a handful
    # of distinct records.
    h = (i * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & 0xFFFFFFFFFFFFFFFF
    h ^= h >> 31
    h = (h * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    h ^= h >> 29
    return '{"model":"%s","id":"r%d","ts":%d,%s' % (model, i, ts, pool[h % len(pool)])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", type=int, required=True)
    p.add_argument("--records", type=int, default=2_000_000, help="stream records, all models together")
    p.add_argument("--ref", type=int, default=300, help="reference records per model")
    p.add_argument("--windows", type=int, default=4)
    p.add_argument("--window-ms", type=int, default=60_000)
    p.add_argument("--numeric", type=int, default=NUMERIC, help="numeric features per model")
    p.add_argument("--categorical", type=int, default=len(CATEGORIES), help="categorical features per model")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    names = ["m%05d" % m for m in range(a.models)]
    rng = random.Random(1)
    pool = 50_000 if a.numeric + a.categorical <= 40 else 10_000
    reference_pool = [features(rng, a.numeric, a.categorical) for _ in range(pool)]
    stream_pool = [features(rng, a.numeric, a.categorical) for _ in range(pool)]
    start = 1_764_000_000_000
    with open(os.path.join(a.out, "ref.jsonl"), "w") as f:
        for i in range(a.ref * a.models):
            f.write(record(reference_pool, names[i % a.models], i, start - 86_400_000 + i))
    span = a.windows * a.window_ms
    with open(os.path.join(a.out, "stream.jsonl"), "w") as f:
        for i in range(a.records):
            f.write(record(stream_pool, names[i % a.models], i, start + span * i // a.records))
    with open(os.path.join(a.out, "driftd.yaml"), "w") as f:
        f.write("store: %s\n" % os.path.join(a.out, "store.sqlite"))
        f.write("models:\n")
        for n in names:
            f.write("  - id: %s\n    window: { size: %ds, allowed_lateness: 0s }\n" % (n, a.window_ms // 1000))


if __name__ == "__main__":
    main()
