#!/usr/bin/env python3
"""Accuracy of pullwatch's default rules on eval.jsonl: real, verbatim lines from public
issue trackers, each labelled with the expected cause (null: not a pull failure) and the
expected registry (null: the line names no image).

    benchmarks/accuracy/evaluate.py [PULLWATCH [SET.jsonl]]   (default .build/debug/pullwatch eval.jsonl)

Prints every miss and the three figures the rules issue asks for.
"""
import json, subprocess, sys, os

here = os.path.dirname(os.path.abspath(__file__))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", ".build", "debug", "pullwatch")
name = sys.argv[2] if len(sys.argv) > 2 else "eval.jsonl"
cases = [json.loads(l) for l in open(os.path.join(here, name))]
out = subprocess.run([binary, "explain", "--json"], input="".join(c["line"] + "\n" for c in cases),
                     capture_output=True, text=True, check=True).stdout.splitlines()
assert len(out) == len(cases), (len(out), len(cases))
failures = [c for c in cases if c["cause"]]
ordinary = [c for c in cases if not c["cause"]]
cause_ok = registry_ok = named = false_pos = 0
for c, line in zip(cases, out):
    got = json.loads(line)
    if c["cause"] is None:
        if got["cause"] is not None:
            false_pos += 1
            print(f"FALSE POSITIVE {got['cause']} ({got['rule']}): {c['line'][:150]}")
        continue
    if got["cause"] == c["cause"]:
        cause_ok += 1
    else:
        print(f"CAUSE expected {c['cause']} got {got['cause']} ({got['rule']}): {c['line'][:150]}")
    if c["registry"]:
        named += 1
        if got["registry"] == c["registry"]:
            registry_ok += 1
        else:
            print(f"REGISTRY expected {c['registry']} got {got['registry']}: {c['line'][:150]}")
print(f"cause: {cause_ok}/{len(failures)} = {100 * cause_ok / len(failures):.1f}%")
print(f"registry: {registry_ok}/{named} = {100 * registry_ok / max(named, 1):.1f}% of failures that name an image")
print(f"ordinary lines called failures: {false_pos}/{len(ordinary)}")
sys.exit(0 if cause_ok >= 0.9 * len(failures) and registry_ok >= 0.95 * named and false_pos == 0 else 1)
