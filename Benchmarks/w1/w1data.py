"""The W1 workload's schema and files, and how the Python harness reads them.

Everything in Benchmarks/w1/ imports this module: the column names, where the data lives
(W1_DIR, default /tmp/w1, holding data/w1_ref.jsonl, data/w1_stream.jsonl and
ground_truth.json; W1_REF and W1_STREAM name the two files directly), and a reader that
turns JSON Lines into a float64 matrix of the numeric columns plus one list per
categorical column.
"""
import itertools
import operator
import os

import numpy as np

try:
    import orjson as _json

    JSON_LIB = "orjson " + _json.__version__
except ImportError:  # the harness still runs on the standard library, only slower
    import json as _json

    JSON_LIB = "json (stdlib)"

loads = _json.loads

MODEL = "w1"
FEATURES_NUMERIC = [f"f{i:02d}" for i in range(16)]
FEATURES_CATEGORICAL = ["c0", "c1", "c2", "c3"]
# The numeric columns the drift tests run on: the 16 features and the prediction.
NUMERIC = FEATURES_NUMERIC + ["prediction"]
CATEGORICAL = FEATURES_CATEGORICAL
WINDOW = 50_000


def data_dir():
    return os.environ.get("W1_DIR", "/tmp/w1")


def ref_path():
    return os.environ.get("W1_REF", os.path.join(data_dir(), "data", "w1_ref.jsonl"))


def stream_path():
    return os.environ.get("W1_STREAM", os.path.join(data_dir(), "data", "w1_stream.jsonl"))


def truth_path():
    return os.path.join(data_dir(), "ground_truth.json")


def line_windows(path, window=WINDOW, max_windows=0):
    """Yields the file's lines (bytes) in lists of `window` lines; the last may be shorter."""
    with open(path, "rb") as f:
        for k in itertools.count():
            if max_windows and k >= max_windows:
                return
            lines = list(itertools.islice(f, window))
            if not lines:
                return
            yield lines


_numeric_of = operator.itemgetter(*FEATURES_NUMERIC)
_categorical_of = operator.itemgetter(*FEATURES_CATEGORICAL)


def _category(v):
    # Every categorical column becomes a column of strings; booleans as JSON spells them.
    if v is True:
        return "true"
    if v is False:
        return "false"
    return v


def parse(lines):
    """JSON lines -> (float64 array [n, 17]: f00..f15, prediction, NaN where null or absent;
    list of 4 lists: c0..c3 as strings, None where null or absent)."""
    numeric, cats = [], []
    for line in lines:
        rec = loads(line)
        f = rec["features"]
        try:
            numeric.append(_numeric_of(f) + (rec.get("prediction"),))
            cats.append(_categorical_of(f))
        except KeyError:  # a record without some feature: slow path
            numeric.append(tuple(f.get(k) for k in FEATURES_NUMERIC) + (rec.get("prediction"),))
            cats.append(tuple(f.get(k) for k in FEATURES_CATEGORICAL))
    if not numeric:
        return np.empty((0, len(NUMERIC))), [[] for _ in CATEGORICAL]
    num = np.array(numeric, dtype=np.float64)
    columns = [list(c) for c in zip(*cats)]
    for j, c in enumerate(columns):
        if any(v is True or v is False for v in c):
            columns[j] = [_category(v) for v in c]
    return num, columns


def load(path):
    """The whole file: (numeric matrix, categorical lists)."""
    parts, cats = [], [[] for _ in CATEGORICAL]
    for lines in line_windows(path):
        num, cat = parse(lines)
        parts.append(num)
        for j in range(len(CATEGORICAL)):
            cats[j].extend(cat[j])
    num = np.concatenate(parts) if parts else np.empty((0, len(NUMERIC)))
    return num, cats
