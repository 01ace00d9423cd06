#!/usr/bin/env python3
"""Validates `pullwatch scan --format json` on the samples (and with an input error) against
docs/report.schema.json. Run by `make test`; installs jsonschema from PyPI if it is missing."""
import json, subprocess, sys, os
try:
    import jsonschema
except ImportError:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "jsonschema"], check=True)
    import jsonschema
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".build/debug/pullwatch")
schema = json.load(open(os.path.join(root, "docs/report.schema.json")))
cases = [["samples/"], ["/nonexistent/pullwatch.log", "samples/describe-invoicer.txt"]]
for args in cases:
    run = subprocess.run([binary, "scan", "--format", "json"] + args, capture_output=True, text=True, cwd=root)
    doc = json.loads(run.stdout)
    jsonschema.validate(doc, schema, format_checker=jsonschema.FormatChecker())
    expected_exit = 1 if doc["input"]["errors"] else 0
    assert run.returncode == expected_exit, (args, run.returncode)
print(f"report schema: {len(cases)} passed, 0 failed")
