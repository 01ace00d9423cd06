#!/usr/bin/env python3
"""Accuracy of pullwatch's rules on real, verbatim log lines from public sources.

    benchmarks/accuracy/evaluate.py [--binary PATH] [--split dev|test|all] [--misses] [--check]

Each split is a JSON Lines file beside this script (dev.jsonl, test.jsonl); every record has
`line`, `cause` (null: not a pull failure), `image`, `registry`, `registry_via`
("image" | "url" | null), `producer` and `source`. README.md says how the corpus was built
and split. Lines go through `pullwatch explain --json`, exactly as a user would paste them.

Prints per split: cause accuracy, registry accuracy (lines that name an image; lines where
only a URL or host names the registry), false alarms on ordinary lines, a per-cause and a
per-producer table, and the top confusions. --misses lists every wrong line. --check exits 1
when a split misses its bar (dev: cause >= 98 %; test: cause >= 95 %; both: registry >= 97 %
by image, >= 90 % by URL, no false alarm).
"""
import argparse
import collections
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BARS = {"dev": 0.98, "test": 0.95}


def load(split):
    path = split if split.endswith(".jsonl") else os.path.join(HERE, f"{split}.jsonl")
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def classify(binary, cases):
    text = "".join(c["line"].replace("\n", " ") + "\n" for c in cases)
    out = subprocess.run([binary, "explain", "--json"], input=text, capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(out) == len(cases), (len(out), len(cases))
    return [json.loads(l) for l in out]


def pct(a, b):
    return f"{a}/{b} = {100 * a / b:.1f} %" if b else "0/0"


def report(split, cases, got, misses):
    failures = [(c, g) for c, g in zip(cases, got) if c["cause"]]
    ordinary = [(c, g) for c, g in zip(cases, got) if not c["cause"]]
    cause_ok = sum(1 for c, g in failures if g["cause"] == c["cause"])
    by_via = {v: [(c, g) for c, g in failures if c.get("registry_via") == v and c.get("registry")] for v in ("image", "url")}
    reg_ok = {v: sum(1 for c, g in rows if g["registry"] == c["registry"]) for v, rows in by_via.items()}
    false_alarms = [(c, g) for c, g in ordinary if g["cause"] is not None]

    print(f"== {split}: {len(cases)} lines ({len(failures)} pull failures, {len(ordinary)} ordinary) "
          f"from {len({c['source'] for c in cases})} sources")
    print(f"cause:                {pct(cause_ok, len(failures))}")
    print(f"registry, by image:   {pct(reg_ok['image'], len(by_via['image']))}")
    print(f"registry, by URL:     {pct(reg_ok['url'], len(by_via['url']))}")
    print(f"false alarms:         {len(false_alarms)}/{len(ordinary)}")

    def table(title, key):
        rows = collections.defaultdict(lambda: [0, 0])
        for c, g in failures:
            rows[key(c)][1] += 1
            rows[key(c)][0] += g["cause"] == c["cause"]
        print(f"\n{title:<22}{'right':>7}{'lines':>7}{'%':>7}")
        for k, (ok, n) in sorted(rows.items(), key=lambda kv: (-kv[1][1], kv[0])):
            print(f"{k:<22}{ok:>7}{n:>7}{100 * ok / n:>7.1f}")

    table("cause", lambda c: c["cause"])
    table("producer", lambda c: c.get("producer") or "?")

    confusions = collections.Counter((c["cause"], g["cause"]) for c, g in failures if g["cause"] != c["cause"])
    confusions.update((None, g["cause"]) for c, g in false_alarms)
    if confusions:
        print("\ntop confusions (expected -> got)")
        for (want, have), n in confusions.most_common(12):
            print(f"{n:>4}  {want} -> {have}")
    if misses:
        print()
        for c, g in failures + ordinary:
            wrong_cause = g["cause"] != c["cause"]
            wrong_reg = c["cause"] and c.get("registry") and g["registry"] != c["registry"]
            if wrong_cause or wrong_reg:
                what = f"CAUSE {c['cause']} got {g['cause']} ({g['rule']})" if wrong_cause else f"REGISTRY {c['registry']} ({c.get('registry_via')}) got {g['registry']}"
                print(f"{what}: {c['line'][:220]}  [{c['source']}]")
    bar = BARS.get(split, 0.95)
    ok = (cause_ok >= bar * len(failures) and reg_ok["image"] >= 0.97 * len(by_via["image"])
          and reg_ok["url"] >= 0.90 * len(by_via["url"]) and not false_alarms)
    print()
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(HERE, "..", "..", ".build", "debug", "pullwatch"))
    ap.add_argument("--split", default="all", choices=["dev", "test", "all"])
    ap.add_argument("--misses", action="store_true")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--file", help="evaluate this JSON Lines file instead of a split (a new round, before it is split)")
    a = ap.parse_args()
    ok = True
    for split in ([a.file] if a.file else ["dev", "test"] if a.split == "all" else [a.split]):
        cases = load(split)
        if not cases:
            print(f"== {split}: empty (the next held-out round goes here; README.md)\n")
            continue
        ok &= report(split, cases, classify(a.binary, cases), a.misses)
    sys.exit(0 if ok or not a.check else 1)


if __name__ == "__main__":
    main()
