#!/usr/bin/env python3
"""The JSON parse ceiling: how fast Python reads the W1 stream and parses every line, the
least any Python tool that reads these records must spend. First a pass that only reads
the lines (the file then sits in the page cache), then the timed pass: read + loads() of
every line, reading its "ts" so that the parse is used.
Prints one line, RESULT {json}: records, bytes, seconds, rec_per_s, MB_per_s,
read_lines_only_s.
usage: ceil_json.py [--lib orjson|json] [--stream PATH]  (default $W1_DIR/data/w1_stream.jsonl)"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import w1data as W  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description="read + parse every line of the W1 stream")
    ap.add_argument("--lib", default="orjson", choices=["orjson", "json"])
    ap.add_argument("--stream", default=W.stream_path())
    a = ap.parse_args()
    if a.lib == "orjson":
        import orjson
        loads, version = orjson.loads, "orjson " + orjson.__version__
    else:
        loads, version = json.loads, "json (python %s)" % sys.version.split()[0]
    t = time.perf_counter()
    with open(a.stream, "rb") as f:
        for _ in f:
            pass
    read_s = time.perf_counter() - t
    n, with_ts = 0, 0
    t = time.perf_counter()
    with open(a.stream, "rb") as f:
        for line in f:
            with_ts += loads(line)["ts"] > 0
            n += 1
    s = time.perf_counter() - t
    nbytes = os.path.getsize(a.stream)
    print("RESULT " + json.dumps({
        "tool": f"{a.lib} loads", "version": version, "stage": "read + parse every line",
        "records": n, "bytes": nbytes, "seconds": round(s, 3),
        "rec_per_s": round(n / s, 1), "MB_per_s": round(nbytes / 1e6 / s, 2),
        "read_lines_only_s": round(read_s, 3), "records_with_ts": with_ts}), flush=True)


if __name__ == "__main__":
    main()
