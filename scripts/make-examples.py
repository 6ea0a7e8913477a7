#!/usr/bin/env python3
"""Writes examples/reference.jsonl and examples/current.jsonl: a small credit-risk model's
inference records (record format v1), deterministic. The current sample has drift in
`income` (mean +0.6 sd), `country` (a new category) and the prediction; `age` and
`tenure` do not drift. Standard library only. usage: scripts/make-examples.py"""
import json, math, os, random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "examples")


def records(n, seed, drift):
    rng = random.Random(seed)
    for i in range(n):
        income = round(rng.lognormvariate(10.8 + (0.3 if drift else 0.0), 0.5), 2)
        age = rng.randint(18, 80)
        tenure = None if rng.random() < 0.02 else round(rng.expovariate(1 / 6), 1)
        countries = ["DE", "FR", "IT", "ES", "NL"] + (["PL"] if drift else [])
        weights = [30, 25, 20, 15, 10] + ([25] if drift else [])
        country = rng.choices(countries, weights)[0]
        is_new = rng.random() < 0.3
        z = -1.5 + 0.00001 * (income - 50000) - 0.01 * (age - 45) + (0.4 if is_new else 0)
        prediction = round(1 / (1 + math.exp(-z)), 6)
        yield {"model": "credit-risk", "model_version": "2026.11.1", "id": f"req-{seed}-{i:06d}",
               "ts": 1764075600000 + i * 1000,
               "features": {"income": income, "age": age, "country": country, "is_new": is_new, "tenure": tenure},
               "prediction": prediction}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, seed, drift in [("reference.jsonl", 1, False), ("current.jsonl", 2, True)]:
        with open(os.path.join(OUT, name), "w") as f:
            for r in records(5000, seed, drift):
                f.write(json.dumps(r, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
